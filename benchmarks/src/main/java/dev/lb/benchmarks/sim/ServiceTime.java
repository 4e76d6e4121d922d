package dev.lb.benchmarks.sim;

import java.util.random.RandomGenerator;

/**
 * A distribution of the time a backend works on one call. Immutable and thread-safe; the random
 * source is the caller's.
 */
public interface ServiceTime {
  /**
   * The distribution's mean, in nanoseconds.
   *
   * @return the mean, positive
   */
  double meanNanos();

  /**
   * Draws one service time.
   *
   * @param random the simulation's seeded source
   * @return a service time in nanoseconds, 0 or more
   */
  long sampleNanos(RandomGenerator random);

  /**
   * Exponentially distributed service times (an M/M/k backend).
   *
   * @param meanMillis the mean in milliseconds, positive
   * @return the distribution
   */
  static ServiceTime exponential(double meanMillis) {
    if (!(meanMillis > 0)) {
      throw new IllegalArgumentException("meanMillis must be positive but was " + meanMillis);
    }
    double mean = meanMillis * 1e6;
    return new ServiceTime() {
      @Override
      public double meanNanos() {
        return mean;
      }

      @Override
      public long sampleNanos(RandomGenerator random) {
        return (long) (-mean * Math.log(1.0 - random.nextDouble()));
      }

      @Override
      public String toString() {
        return "exponential(mean " + meanMillis + " ms)";
      }
    };
  }

  /**
   * Log-normally distributed service times, the heavy right tail real services show: {@code exp(mu
   * + sigma * Z)} with {@code mu} chosen so that the mean is {@code meanMillis}.
   *
   * @param meanMillis the mean in milliseconds, positive
   * @param sigma the standard deviation of the logarithm, positive (1.0 gives p99 ≈ 6 × the mean)
   * @return the distribution
   */
  static ServiceTime lognormal(double meanMillis, double sigma) {
    if (!(meanMillis > 0)) {
      throw new IllegalArgumentException("meanMillis must be positive but was " + meanMillis);
    }
    if (!(sigma > 0)) {
      throw new IllegalArgumentException("sigma must be positive but was " + sigma);
    }
    double mean = meanMillis * 1e6;
    double mu = Math.log(mean) - sigma * sigma / 2;
    return new ServiceTime() {
      @Override
      public double meanNanos() {
        return mean;
      }

      @Override
      public long sampleNanos(RandomGenerator random) {
        return (long) Math.exp(mu + sigma * random.nextGaussian());
      }

      @Override
      public String toString() {
        return "lognormal(mean " + meanMillis + " ms, sigma " + sigma + ")";
      }
    };
  }
}

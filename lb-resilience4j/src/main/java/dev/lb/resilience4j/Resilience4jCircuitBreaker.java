package dev.lb.resilience4j;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerListener;
import dev.lb.breaker.CircuitBreakerMetrics;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An lb {@link CircuitBreaker} over a resilience4j breaker. Every call delegates; resilience4j's
 * state-transition and not-permitted events, which it publishes from the thread that caused them
 * after the state changed, are forwarded to this adapter's listeners.
 */
final class Resilience4jCircuitBreaker implements CircuitBreaker {
  private static final System.Logger LOGGER =
      System.getLogger(Resilience4jCircuitBreaker.class.getName());

  private final io.github.resilience4j.circuitbreaker.CircuitBreaker delegate;
  private final CopyOnWriteArrayList<CircuitBreakerListener> listeners =
      new CopyOnWriteArrayList<>();

  Resilience4jCircuitBreaker(io.github.resilience4j.circuitbreaker.CircuitBreaker delegate) {
    this.delegate = delegate;
    delegate
        .getEventPublisher()
        .onStateTransition(
            event -> {
              State from = map(event.getStateTransition().getFromState());
              State to = map(event.getStateTransition().getToState());
              if (from != to) {
                for (CircuitBreakerListener l : listeners) {
                  try {
                    l.onStateTransition(this, from, to);
                  } catch (RuntimeException e) {
                    LOGGER.log(System.Logger.Level.WARNING, "listener " + l + " failed", e);
                  }
                }
              }
            })
        .onCallNotPermitted(
            event -> {
              for (CircuitBreakerListener l : listeners) {
                try {
                  l.onCallNotPermitted(this);
                } catch (RuntimeException e) {
                  LOGGER.log(System.Logger.Level.WARNING, "listener " + l + " failed", e);
                }
              }
            });
  }

  static State map(io.github.resilience4j.circuitbreaker.CircuitBreaker.State state) {
    return switch (state) {
      case CLOSED -> State.CLOSED;
      case OPEN -> State.OPEN;
      case HALF_OPEN -> State.HALF_OPEN;
      case FORCED_OPEN -> State.FORCED_OPEN;
      case DISABLED, METRICS_ONLY -> State.DISABLED;
    };
  }

  @Override
  public String name() {
    return delegate.getName();
  }

  @Override
  public boolean tryAcquirePermission() {
    return delegate.tryAcquirePermission();
  }

  @Override
  public void releasePermission() {
    delegate.releasePermission();
  }

  @Override
  public void onSuccess(long durationNanos) {
    delegate.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void onFailure(long durationNanos, @Nullable Throwable cause) {
    delegate.onError(
        durationNanos, TimeUnit.NANOSECONDS, cause != null ? cause : new UnknownFailure());
  }

  @Override
  public State state() {
    return map(delegate.getState());
  }

  @Override
  public CircuitBreakerMetrics metrics() {
    io.github.resilience4j.circuitbreaker.CircuitBreaker.Metrics m = delegate.getMetrics();
    return new CircuitBreakerMetrics(
        state(),
        m.getFailureRate(),
        m.getSlowCallRate(),
        m.getNumberOfBufferedCalls(),
        m.getNumberOfFailedCalls(),
        m.getNumberOfSlowCalls(),
        m.getNumberOfNotPermittedCalls());
  }

  @Override
  public Duration waitDurationInOpenState() {
    Long millis = delegate.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1);
    return Duration.ofMillis(millis);
  }

  @Override
  public void forceOpen() {
    if (delegate.getState()
        != io.github.resilience4j.circuitbreaker.CircuitBreaker.State.FORCED_OPEN) {
      delegate.transitionToForcedOpenState();
    }
  }

  @Override
  public void disable() {
    if (delegate.getState()
        != io.github.resilience4j.circuitbreaker.CircuitBreaker.State.DISABLED) {
      delegate.transitionToDisabledState();
    }
  }

  @Override
  public void reset() {
    delegate.reset();
  }

  @Override
  public void addListener(CircuitBreakerListener listener) {
    Objects.requireNonNull(listener, "listener must not be null");
    listeners.add(listener);
  }

  @Override
  public boolean removeListener(CircuitBreakerListener listener) {
    return listeners.remove(listener);
  }

  @Override
  public String toString() {
    return "Resilience4jCircuitBreaker{" + name() + ", " + state() + '}';
  }

  /**
   * The cause given to resilience4j, which needs one, for a failure reported without one; made
   * without a stack trace, so it is cheap.
   */
  private static final class UnknownFailure extends Exception {
    private static final long serialVersionUID = 1L;

    UnknownFailure() {
      super("failure reported to lb without a cause", null, false, false);
    }
  }
}

package dev.lb.probe;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One endpoint's answer to a probe: its requests in flight (RIF) when it answered, an estimate of
 * the latency a request would see at that load, and the time the answer was received. An immutable
 * value.
 *
 * <p>A {@link Prober} makes answers with {@link #of}; the balancer stamps its own copy with its
 * ticker's reading on receipt ({@link #receivedAt}), and ages answers by that stamp, so the clocks
 * of client and server never need to agree.
 *
 * <h2>Text format</h2>
 *
 * <p>Over HTTP an answer travels as one line of {@code key=value} pairs, {@code text/plain}:
 *
 * <pre>{@code
 * rif=3 latency_us=12500
 * }</pre>
 *
 * <p>{@code rif} is the requests in flight (an integer, 0 or more) and {@code latency_us} the
 * latency estimate in microseconds (an integer, 0 or more). Pairs may be separated by spaces, tabs,
 * commas or semicolons; keys are case-insensitive; unknown keys are ignored, so a server may add
 * its own. {@link #toText()} writes the format and {@link #parse} reads it.
 */
public final class ProbeResult {
  /** The {@link #receivedAtNanos()} of an answer not yet stamped by a balancer. */
  public static final long NOT_RECEIVED = Long.MIN_VALUE;

  /** A run of characters between separators (white space, commas, semicolons). */
  private static final java.util.regex.Pattern PAIR = java.util.regex.Pattern.compile("[^\\s,;]+");

  private final int requestsInFlight;
  private final long latencyNanos;
  private final long receivedAtNanos;

  private ProbeResult(int requestsInFlight, long latencyNanos, long receivedAtNanos) {
    this.requestsInFlight = requestsInFlight;
    this.latencyNanos = latencyNanos;
    this.receivedAtNanos = receivedAtNanos;
  }

  /**
   * An endpoint's answer, not yet stamped with a time of receipt.
   *
   * @param requestsInFlight the endpoint's requests in flight, 0 or more
   * @param latencyNanos the endpoint's latency estimate at that load, in nanoseconds, 0 or more
   * @return the answer
   * @throws IllegalArgumentException if either value is negative
   */
  public static ProbeResult of(int requestsInFlight, long latencyNanos) {
    checkArgument(
        requestsInFlight >= 0, "requestsInFlight must be 0 or more but was %s", requestsInFlight);
    checkArgument(latencyNanos >= 0, "latencyNanos must be 0 or more but was %s", latencyNanos);
    return new ProbeResult(requestsInFlight, latencyNanos, NOT_RECEIVED);
  }

  /**
   * A copy of this answer stamped with the time it was received.
   *
   * @param nanos a reading of the receiving balancer's {@link dev.lb.Ticker}
   * @return a new answer with the same values, received at {@code nanos}
   */
  public ProbeResult receivedAt(long nanos) {
    return new ProbeResult(requestsInFlight, latencyNanos, nanos);
  }

  /**
   * The endpoint's requests in flight when it answered.
   *
   * @return 0 or more
   */
  public int requestsInFlight() {
    return requestsInFlight;
  }

  /**
   * The endpoint's estimate of the latency of a request at {@link #requestsInFlight()}.
   *
   * @return nanoseconds, 0 or more
   */
  public long latencyNanos() {
    return latencyNanos;
  }

  /**
   * When the balancer received the answer, by its ticker.
   *
   * @return a ticker reading, or {@link #NOT_RECEIVED} if the answer was not stamped
   */
  public long receivedAtNanos() {
    return receivedAtNanos;
  }

  /**
   * The answer in the text format (see the class comment), without a line end.
   *
   * @return for example {@code rif=3 latency_us=12500}
   */
  public String toText() {
    return "rif=" + requestsInFlight + " latency_us=" + latencyNanos / 1_000L;
  }

  /**
   * Reads an answer in the text format (see the class comment).
   *
   * @param text the body of a probe response; leading and trailing white space is ignored
   * @return the answer, not stamped
   * @throws NullPointerException if {@code text} is null
   * @throws IllegalArgumentException naming the field and quoting the text if {@code rif} or {@code
   *     latency_us} is missing, not an integer, or negative
   */
  public static ProbeResult parse(String text) {
    checkNotNull(text, "text");
    long rif = -1;
    long latencyMicros = -1;
    java.util.regex.Matcher pairs = PAIR.matcher(text);
    while (pairs.find()) {
      String pair = pairs.group();
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String key = pair.substring(0, eq).toLowerCase(Locale.ROOT);
      String value = pair.substring(eq + 1);
      if (key.equals("rif")) {
        rif = number("rif", value, text);
      } else if (key.equals("latency_us")) {
        latencyMicros = number("latency_us", value, text);
      }
    }
    checkArgument(rif >= 0, "probe answer must have rif=<n> but was '%s'", text);
    checkArgument(latencyMicros >= 0, "probe answer must have latency_us=<n> but was '%s'", text);
    checkArgument(rif <= Integer.MAX_VALUE, "probe answer's rif is too large in '%s'", text);
    long micros = latencyMicros;
    long nanos = micros > Long.MAX_VALUE / 1_000L ? Long.MAX_VALUE : micros * 1_000L;
    return of((int) rif, nanos);
  }

  private static long number(String field, String value, String text) {
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "probe answer's " + field + " must be an integer but was '" + text + "'", e);
    }
    checkArgument(n >= 0, "probe answer's %s must be 0 or more but was '%s'", field, text);
    return n;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ProbeResult that
        && requestsInFlight == that.requestsInFlight
        && latencyNanos == that.latencyNanos
        && receivedAtNanos == that.receivedAtNanos;
  }

  @Override
  public int hashCode() {
    return (31 * requestsInFlight + Long.hashCode(latencyNanos)) * 31
        + Long.hashCode(receivedAtNanos);
  }

  @Override
  public String toString() {
    return receivedAtNanos == NOT_RECEIVED
        ? "ProbeResult{" + toText() + "}"
        : "ProbeResult{" + toText() + ", receivedAt=" + receivedAtNanos + "}";
  }
}

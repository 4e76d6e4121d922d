package dev.lb.examples;

import dev.lb.LoadReport;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The server side of load reporting: a backend's own meter of its load, and the ORCA forms it sends
 * it in. Wrap each request's handling in {@link #begin()} and {@link #end}; {@link #report()} gives
 * the last whole second's load, {@link #httpHeader()} the {@code endpoint-load-metrics} header
 * value lb-okhttp reads (ORCA's {@code TEXT} form), and {@link GrpcLoadReporting} puts the same
 * numbers in gRPC's {@code endpoint-load-metrics-bin} trailer.
 *
 * <p>What it measures: {@code application_utilization}, the share of the backend's {@code capacity}
 * (requests it serves at once at full speed) used over the last second, from the time requests
 * spent in progress; {@code rps_fractional} and {@code eps}, the requests and errors it completed
 * in that second. A backend whose bottleneck is its CPU would report {@code cpu_utilization}
 * instead, from the operating system; either drives {@code orca_weighted_round_robin}.
 *
 * <pre>{@code
 * LoadReporter load = new LoadReporter(16); // serves 16 requests at once
 * server.createContext("/work", exchange -> {
 *   long start = load.begin();
 *   boolean failed = handle(exchange);          // the application's work
 *   load.end(start, failed);
 *   exchange.getResponseHeaders().set(LoadReporter.HEADER, load.httpHeader());
 *   ...
 * });
 * }</pre>
 *
 * <p>Thread-safe: request threads call {@link #begin} and {@link #end} concurrently; the window
 * rolls over under a lock held for a few arithmetic operations.
 */
public final class LoadReporter {
  /** The response header ORCA defines for HTTP, which lb-okhttp reads. */
  public static final String HEADER = "endpoint-load-metrics";

  private static final long WINDOW = 1_000_000_000L;

  private final int capacity;
  private final LongSupplier clock;

  // Guarded by this.
  private long windowStart;
  private double busyNanos;
  private long requests;
  private long errors;
  private int inFlight;
  private long lastChange;
  private LoadReport last = LoadReport.empty();

  /**
   * A meter for a backend that serves {@code capacity} requests at once.
   *
   * @param capacity requests in progress at full utilization, at least 1
   * @throws IllegalArgumentException if {@code capacity} is below 1
   */
  public LoadReporter(int capacity) {
    this(capacity, System::nanoTime);
  }

  LoadReporter(int capacity, LongSupplier clock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1 but was " + capacity);
    }
    this.capacity = capacity;
    this.clock = clock;
    this.windowStart = clock.getAsLong();
    this.lastChange = windowStart;
  }

  /**
   * A request starts.
   *
   * @return its start time, for {@link #end}
   */
  public synchronized long begin() {
    long now = advance();
    inFlight++;
    return now;
  }

  /**
   * The request that {@link #begin} returned {@code start} for ends.
   *
   * @param start what {@code begin} returned
   * @param error true if it ended in an error the caller will see
   */
  public synchronized void end(long start, boolean error) {
    advance();
    inFlight = Math.max(0, inFlight - 1);
    requests++;
    if (error) {
      errors++;
    }
  }

  /**
   * The load over the last whole second (empty during the first second).
   *
   * @return the report to send
   */
  public synchronized LoadReport report() {
    advance();
    return last;
  }

  /**
   * {@link #report()} in ORCA's HTTP {@code TEXT} form, for the {@link #HEADER} header.
   *
   * @return for example {@code TEXT application_utilization=0.42, rps_fractional=120, eps=1.5}
   */
  public String httpHeader() {
    return textHeader(report());
  }

  /**
   * Formats a report as ORCA's HTTP {@code TEXT} header value, with the fields it has.
   *
   * @param r the report
   * @return the header value, {@code TEXT} followed by {@code name=value} pairs
   */
  public static String textHeader(LoadReport r) {
    StringBuilder s = new StringBuilder("TEXT");
    String sep = " ";
    sep = field(s, sep, "cpu_utilization", r.cpuUtilization());
    sep = field(s, sep, "mem_utilization", r.memoryUtilization());
    sep = field(s, sep, "application_utilization", r.applicationUtilization());
    sep = field(s, sep, "rps_fractional", r.requestsPerSecond());
    sep = field(s, sep, "eps", r.errorsPerSecond());
    for (var e : r.namedMetrics().entrySet()) {
      sep = field(s, sep, "named_metrics." + e.getKey(), e.getValue());
    }
    return s.toString();
  }

  private static String field(StringBuilder s, String sep, String name, double value) {
    if (value == 0) {
      return sep;
    }
    s.append(sep).append(name).append('=').append(String.format(Locale.ROOT, "%.4g", value));
    return ", ";
  }

  /** Accounts the time since the last change; rolls the window over when a second has passed. */
  private long advance() {
    long now = clock.getAsLong();
    while (now - windowStart >= WINDOW) {
      long end = windowStart + WINDOW;
      busyNanos += (double) inFlight * (end - lastChange);
      last =
          LoadReport.builder()
              .applicationUtilization(busyNanos / ((double) capacity * WINDOW))
              .requestsPerSecond(requests * 1e9 / WINDOW)
              .errorsPerSecond(errors * 1e9 / WINDOW)
              .requestsInFlight(inFlight)
              .build();
      busyNanos = 0;
      requests = 0;
      errors = 0;
      windowStart = end;
      lastChange = end;
      if (now - windowStart >= 2 * WINDOW) {
        // Idle for a long time: skip the empty windows at once rather than one by one.
        long skipped = (now - windowStart) / WINDOW - 1;
        windowStart += skipped * WINDOW;
        lastChange = windowStart;
      }
    }
    busyNanos += (double) inFlight * (now - lastChange);
    lastChange = now;
    return now;
  }
}

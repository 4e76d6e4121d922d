package dev.lb.okhttp;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadReport;
import dev.lb.Ticker;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.AsyncTimeout;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * One attempt of a balanced call, and the only owner of its {@link Lease}: whatever path the
 * attempt ends on (an I/O error, a status that is retried, a response returned, a body read to its
 * end, closed or failed, a cancel), the attempt reports its lease exactly once, through {@link
 * #end}. Correctness does not rest on {@link Lease} ignoring later reports: the first {@link #end}
 * wins a compare-and-set and the others do nothing.
 *
 * <p>It also keeps the attempt's deadline ({@code attemptTimeout}): an okio {@link AsyncTimeout},
 * entered when the attempt starts and exited when it ends, whose watchdog closes the HTTP/1 socket
 * the attempt is bound to while the request is written and the headers awaited (the binding is made
 * by {@link AttemptGuard}, the interceptor's network half). The body phase is bounded by the same
 * deadline set on the body's own okio timeout, which OkHttp clears when the exchange ends.
 *
 * <p>Thread-safety: the call's thread drives it; {@link #end} may race with a body closed on
 * another thread and with the watchdog, and is safe against both.
 */
final class Attempt {
  /** How an attempt ended, as its lease is told. */
  enum Report {
    SUCCESS,
    FAILURE,
    CANCEL
  }

  private final Lease lease;
  private final Ticker ticker;
  private final int number;
  private final long startNanos;
  private final long timeoutNanos;
  private final @Nullable Deadline deadline;
  private static final VarHandle ENDED;

  static {
    try {
      ENDED = MethodHandles.lookup().findVarHandle(Attempt.class, "ended", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // Set once, by the compare-and-set in end(): a field and a VarHandle, not an AtomicBoolean, so
  // that an attempt is one object less.
  private volatile boolean ended;
  private long headersNanos = -1;
  private volatile @Nullable String strippedRetryAfter;
  private volatile boolean reusedConnection;
  private volatile boolean aborted;

  /**
   * For an abortable attempt, the exchange abort() may cancel ({@link ExchangeCanceller}), or
   * {@link #UNBOUND} while there is none; null for every other attempt. One field for both, so that
   * an attempt is no larger than before (64 bytes with compressed references).
   */
  private volatile @Nullable Object exchange;

  private static final Object UNBOUND = new Object();

  Attempt(Lease lease, Ticker ticker, int number, long timeoutNanos) {
    this(lease, ticker, number, timeoutNanos, false);
  }

  /**
   * An attempt; an {@code abortable} one (a hedged call's first attempt on the caller's own chain)
   * can be ended alone by {@link #abort}: through its exchange where this OkHttp allows it ({@link
   * ExchangeCanceller}), else by binding its HTTP/1 socket even without a timeout.
   */
  Attempt(Lease lease, Ticker ticker, int number, long timeoutNanos, boolean abortable) {
    this.lease = lease;
    this.ticker = ticker;
    this.number = number;
    this.timeoutNanos = timeoutNanos;
    if (abortable) {
      this.exchange = UNBOUND;
    }
    this.startNanos = ticker.read();
    if (timeoutNanos > 0) {
      Deadline d = new Deadline();
      d.deadlineNanoTime(System.nanoTime() + timeoutNanos);
      d.enter();
      this.deadline = d;
    } else {
      // A socket guard, never entered, only where the exchange cannot be cancelled alone.
      this.deadline = abortable && !ExchangeCanceller.AVAILABLE ? new Deadline() : null;
    }
  }

  /**
   * Ends the exchange of an abortable attempt that lost a hedged race, at once or when the network
   * half binds it, so that the thread running it gets an I/O error: an HTTP/2 stream is reset (that
   * stream only) at any point before the attempt ends; an HTTP/1 exchange has its socket closed
   * while it sends the request or waits for headers, and after the headers runs to its end (its
   * connection may be back in the pool by then, serving another call). Its lease is then reported
   * as cancelled, whatever the error.
   */
  @SuppressWarnings("ReferenceEquality") // UNBOUND is a sentinel: identity is the question
  void abort() {
    aborted = true; // volatile write, then read: abort and bind each see the other's write
    Object ex = exchange;
    if (ex != null && ex != UNBOUND) {
      ExchangeCanceller.cancel(ex);
    }
    Deadline d = deadline;
    if (d != null) {
      d.abort();
    }
  }

  /** Whether {@link #abort} was called. */
  boolean aborted() {
    return aborted;
  }

  Endpoint endpoint() {
    return lease.endpoint();
  }

  int number() {
    return number;
  }

  /** Nanoseconds since the attempt started, on the balancer's ticker. */
  long elapsedNanos() {
    return ticker.read() - startNanos;
  }

  /**
   * Records whether the exchange runs on a pooled connection an earlier exchange already used (set
   * by the network half; false when it is not installed).
   */
  void connectionReused(boolean reused) {
    this.reusedConnection = reused;
  }

  /**
   * Whether the exchange ran on a connection an earlier exchange used: a failure before any
   * response byte on such a connection is most likely the server having closed it while it sat
   * idle.
   */
  boolean reusedConnection() {
    return reusedConnection;
  }

  /** Whether the response headers arrived. */
  boolean hasHeaders() {
    return headersNanos >= 0;
  }

  /** Records that the response headers arrived: the latency every report of this attempt uses. */
  void headersReceived() {
    headersNanos = elapsedNanos();
  }

  /**
   * Hands the balancer the load report {@code response} carries ({@link OrcaHeader}), if any; a
   * header that does not parse is ignored and never fails the attempt.
   */
  void loadReport(Response response) {
    LoadReport report = OrcaHeader.read(response);
    if (report != null) {
      lease.onLoadReport(report);
    }
  }

  private long latencyNanos() {
    return headersNanos >= 0 ? headersNanos : elapsedNanos();
  }

  /**
   * Whether the attempt's deadline passed. Read from the clock rather than from the watchdog's
   * flag: a body's own okio timeout, set to the same deadline, may fire first.
   */
  boolean timedOut() {
    Deadline d = deadline;
    return d != null
        && timeoutNanos > 0
        && (d.fired || System.nanoTime() - d.deadlineNanoTime() >= 0);
  }

  /**
   * An idle timeout for this attempt in milliseconds: {@code idleMillis} (0 is none), cut to the
   * time left before the attempt's deadline if it has one.
   */
  long remainingMillis(int idleMillis) {
    Deadline d = deadline;
    if (d == null || timeoutNanos <= 0) {
      return idleMillis;
    }
    // Rounded up, so that an idle timeout cut short by the deadline fires at it, not before it.
    long left = (d.deadlineNanoTime() - System.nanoTime() + 999_999) / 1_000_000;
    long bounded = Math.max(1, left);
    return idleMillis == 0 ? bounded : Math.min(idleMillis, bounded);
  }

  /** Bounds reading {@code body} by the attempt's deadline, if it has one. */
  void boundBody(ResponseBody body) {
    Deadline d = deadline;
    if (d != null && timeoutNanos > 0) {
      body.source().timeout().deadlineNanoTime(d.deadlineNanoTime());
    }
  }

  /**
   * Binds the connection this attempt's exchange runs on, so that the deadline can end a write or a
   * wait for headers by closing its socket. Only HTTP/1 sockets are closed: an HTTP/2 connection
   * carries other calls' streams, and its stream waits are bounded by the read timeout, which the
   * interceptor shortens to the time left.
   */
  void bind(Connection connection, Interceptor.Chain networkChain) throws IOException {
    if (exchange != null && ExchangeCanceller.AVAILABLE) {
      Object ex = ExchangeCanceller.exchange(networkChain);
      if (ex != null) {
        exchange = ex; // volatile write, then read, as in abort()
        if (aborted) {
          ExchangeCanceller.cancel(ex);
        }
      }
    }
    Deadline d = deadline;
    if (d != null && isHttp1(connection)) {
      d.bind(connection.socket());
    }
  }

  private static boolean isHttp1(Connection connection) {
    Protocol p = connection.protocol();
    return p == Protocol.HTTP_1_1 || p == Protocol.HTTP_1_0;
  }

  /**
   * Unbinds the socket once the headers are in: from then on the body's own timeout applies. An
   * HTTP/1 exchange is unbound too (its connection goes back to the pool when the body ends); an
   * HTTP/2 one stays, since cancelling a stream that ended does nothing.
   */
  @SuppressWarnings("ReferenceEquality") // UNBOUND is a sentinel: identity is the question
  void unbind(Connection connection) {
    Object ex = exchange;
    if (ex != null && ex != UNBOUND && isHttp1(connection)) {
      exchange = UNBOUND;
    }
    Deadline d = deadline;
    if (d != null) {
      d.bind(null);
    }
  }

  /**
   * Turns an I/O error caused by the deadline (a socket the watchdog closed, a body timeout) into a
   * {@link SocketTimeoutException} that says so; other errors are returned as they are.
   */
  IOException explain(IOException e) {
    String message = e.getMessage();
    if (!timedOut() || (message != null && message.startsWith("attempt timeout"))) {
      return e;
    }
    SocketTimeoutException t =
        new SocketTimeoutException(
            "attempt timeout of "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                + " ms elapsed on "
                + endpoint().id());
    t.initCause(e);
    return t;
  }

  /** Remembers a {@code Retry-After} that the network half hid from OkHttp's follow-ups. */
  void strippedRetryAfter(String value) {
    this.strippedRetryAfter = value;
  }

  /** Puts back the header the network half hid, so the caller sees the server's response. */
  Response restore(Response response) {
    String retryAfter = strippedRetryAfter;
    return retryAfter == null || response.header("Retry-After") != null
        ? response
        : response.newBuilder().header("Retry-After", retryAfter).build();
  }

  /** Which report an attempt that failed with {@code error} gets: a pure decision. */
  static Report reportFor(IOException error, boolean canceled, FailureClassifier classifier) {
    if (canceled) {
      return Report.CANCEL;
    }
    return classifier.isFailure(error) ? Report.FAILURE : Report.CANCEL;
  }

  boolean isEnded() {
    return ended;
  }

  /**
   * Ends the attempt and reports its lease, unless it already ended; returns whether this call
   * reported it.
   *
   * @param report how it ended
   * @param bytes response body bytes read, for a success
   * @param cause the failure, for {@link Report#FAILURE}
   */
  boolean end(Report report, long bytes, @Nullable Throwable cause) {
    if (!ENDED.compareAndSet(this, false, true)) {
      return false;
    }
    Deadline d = deadline;
    if (d != null) {
      d.bind(null);
      if (timeoutNanos > 0) {
        d.exit();
      }
    }
    switch (report) {
      case SUCCESS -> lease.onSuccess(latencyNanos(), bytes);
      case FAILURE -> lease.onFailure(latencyNanos(), cause);
      case CANCEL -> lease.onCancel();
    }
    return true;
  }

  /** Ends the attempt as its error says: a failure, or a cancel if the call was cancelled. */
  void endWith(IOException error, Call call, FailureClassifier classifier) {
    end(reportFor(error, call.isCanceled() || aborted, classifier), 0, error);
  }

  /**
   * Reads a small body whole within the attempt, so that a reset or a truncation fails this attempt
   * (and can fail over) instead of reaching the caller. Ends the attempt as a success with the
   * bytes read; an I/O error is thrown with the attempt still open, for the caller to end.
   *
   * <p>The bytes are read into the body's own buffered source ({@link BufferedSource#require}), so
   * the response is returned as it is: no copy of the bytes, no new body, no copy of the headers.
   * The caller then reads them from memory. This holds only while the body hands out one source
   * (OkHttp's bodies do); a body whose {@code source()} is a new object each time, such as one a
   * user's network interceptor made, is read into a byte array and replaced, as before.
   */
  @SuppressWarnings("ReferenceEquality") // the same source object is exactly the question
  Response buffer(Response response) throws IOException {
    ResponseBody body = response.body();
    long length = body.contentLength();
    boundBody(body);
    BufferedSource source = body.source();
    if (length > 0 && source == body.source()) {
      try {
        source.require(length); // an early end of the body is an EOFException here, in the attempt
      } catch (IOException | RuntimeException | Error e) {
        body.close();
        throw e;
      }
      end(Report.SUCCESS, length, null);
      return response;
    }
    byte[] bytes;
    try (body) {
      bytes = source.readByteArray();
    }
    end(Report.SUCCESS, bytes.length, null);
    return response.newBuilder().body(ResponseBody.create(bytes, body.contentType())).build();
  }

  @Override
  public String toString() {
    return "Attempt{" + number + " on " + endpoint().id() + (ended ? ", ended" : "") + "}";
  }

  /**
   * The attempt's watchdog. {@link #timedOut()} runs on okio's watchdog thread; it and {@link
   * #bind} hold this object's lock, so a socket is closed only while it is bound, that is, while
   * the network half is inside its exchange. (OkHttp may release a connection for an empty body
   * just before the network half unbinds; the window is the few instructions between the two.)
   */
  private static final class Deadline extends AsyncTimeout {
    private @Nullable Socket socket;
    volatile boolean fired;
    private boolean aborted; // guarded by this

    synchronized void bind(@Nullable Socket s) {
      if (s != null && (fired || aborted)) {
        closeQuietly(s);
        return;
      }
      this.socket = s;
    }

    void abort() {
      Socket s;
      synchronized (this) {
        aborted = true;
        s = socket;
        socket = null;
      }
      if (s != null) {
        closeQuietly(s);
      }
    }

    @Override
    protected void timedOut() {
      Socket s;
      synchronized (this) {
        fired = true;
        s = socket;
        socket = null;
      }
      if (s != null) {
        closeQuietly(s);
      }
    }

    private static void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing is all we wanted
      }
    }
  }
}

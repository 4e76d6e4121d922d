package dev.lb.grpc;

import dev.lb.Lease;
import dev.lb.Ticker;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * Completes one pick's {@link Lease} from the RPC attempt's final status: the stream tracer it
 * creates measures the attempt, counts the response's wire bytes, and reports success, failure or
 * cancellation as the {@link OutcomeClassifier} says.
 *
 * <p>What is measured depends on the method. A unary call's latency runs from stream creation to
 * close. A streaming call's runs to its first response message (or to the response headers if it
 * ends without a message, or to its close if it has neither): a stream's lifetime is how long the
 * caller kept it open, not how fast the server answers, and fed to peak EWMA or least response time
 * it would drive calls away from a healthy server. Either way the call counts in flight until it
 * closes. A call the configuration excludes from latency ({@code latencyExcludedMethods}, or {@link
 * LbCallOptions#EXCLUDE_FROM_LATENCY}) reports its outcome without a latency sample.
 *
 * <p>gRPC asks a pick's factory for a tracer once, when it starts the stream on the picked
 * subchannel; should it ask again, later tracers do nothing, so the lease is reported once. gRPC
 * may also never ask, when it drops the pick because the subchannel just lost its transport: the
 * factory waits in its subchannel's {@link PendingPicks} until its stream starts, and if the
 * subchannel leaves READY first, the registry claims the factory and cancels its lease. Whoever
 * claims the factory first (one compare-and-set) reports the lease; the other does nothing.
 */
final class LeaseTracerFactory extends ClientStreamTracer.Factory {
  private static final VarHandle USED;

  static {
    try {
      USED = MethodHandles.lookup().findVarHandle(LeaseTracerFactory.class, "used", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final ClientStreamTracer NOOP = new ClientStreamTracer() {};
  private static final System.Logger LOGGER = System.getLogger(LeaseTracerFactory.class.getName());

  private final Lease lease;
  private final OutcomeClassifier classifier;
  private final Ticker ticker;
  private final PendingPicks pending;
  private final Latency latency;
  private final @Nullable AttemptHistory history;
  private final @Nullable AttemptObserver observer;

  @SuppressWarnings("unused") // accessed through USED
  private volatile boolean used;

  /** What a lease's latency sample is. */
  enum Latency {
    /** Stream creation to close: unary calls. */
    TO_CLOSE,
    /** Stream creation to the first response message, else headers, else close: streams. */
    TO_FIRST_RESPONSE,
    /** No sample: the call is excluded from latency statistics. */
    NONE
  }

  LeaseTracerFactory(
      Lease lease,
      OutcomeClassifier classifier,
      Ticker ticker,
      PendingPicks pending,
      Latency latency,
      @Nullable AttemptHistory history,
      @Nullable AttemptObserver observer) {
    this.lease = lease;
    this.classifier = classifier;
    this.ticker = ticker;
    this.pending = pending;
    this.latency = latency;
    this.history = history;
    this.observer = observer;
  }

  Lease lease() {
    return lease;
  }

  /** Takes the right to report the lease; true for the first caller only. */
  boolean claim() {
    return USED.compareAndSet(this, false, true);
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(
      ClientStreamTracer.StreamInfo info, Metadata headers) {
    if (!claim()) {
      return NOOP; // asked again, or the pick's READY period ended and its lease was cancelled
    }
    pending.started(this);
    AttemptHistory h = history;
    // gRPC's stream info does not count a call's attempts for a balancer's tracer; the call's
    // history (avoidPreviousEndpoints) does.
    int attempt = info.getPreviousAttempts() + 1;
    if (h != null) {
      attempt = h.add(lease.endpoint().id()); // the call's later attempts go elsewhere
    }
    AttemptObserver o = observer;
    if (o != null) {
      try {
        o.onAttempt(lease.endpoint(), attempt, info.isTransparentRetry());
      } catch (RuntimeException e) {
        LOGGER.log(System.Logger.Level.WARNING, "attempt observer " + o + " threw", e);
      }
    }
    return new LeaseTracer(lease, classifier, ticker, latency);
  }

  /** One attempt's tracer; gRPC calls it from transport threads, one callback at a time. */
  static final class LeaseTracer extends ClientStreamTracer {
    private final Lease lease;
    private final OutcomeClassifier classifier;
    private final Ticker ticker;
    private final Latency latency;
    private final long start;
    // Written only by the stream's inbound path; read when the stream closes, after it.
    private volatile long inboundBytes;
    // When the response headers and the first response message came, as latencies; -1: not yet.
    // Only TO_FIRST_RESPONSE reads the clock for them.
    private volatile long headersLatency = -1L;
    private volatile long firstMessageLatency = -1L;

    LeaseTracer(Lease lease, OutcomeClassifier classifier, Ticker ticker, Latency latency) {
      this.lease = lease;
      this.classifier = classifier;
      this.ticker = ticker;
      this.latency = latency;
      this.start = ticker.read();
    }

    @Override
    public void inboundHeaders() {
      if (latency == Latency.TO_FIRST_RESPONSE && headersLatency < 0) {
        headersLatency = elapsed();
      }
    }

    @Override
    public void inboundMessage(int seqNo) {
      if (latency == Latency.TO_FIRST_RESPONSE && firstMessageLatency < 0) {
        firstMessageLatency = elapsed();
      }
    }

    private long elapsed() {
      return Math.max(0L, ticker.read() - start);
    }

    @Override
    @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the stream's inbound path
    public void inboundWireSize(long bytes) {
      inboundBytes += bytes;
    }

    @Override
    public void streamClosed(Status status) {
      OutcomeClassifier.Outcome outcome = classifier.classify(status.getCode());
      if (outcome == OutcomeClassifier.Outcome.CANCEL) {
        lease.onCancel();
        return;
      }
      boolean success = outcome == OutcomeClassifier.Outcome.SUCCESS;
      if (latency == Latency.NONE) {
        if (success) {
          lease.onSuccessUntimed(inboundBytes);
        } else {
          lease.onFailureUntimed(status.asRuntimeException());
        }
        return;
      }
      long sample = elapsed();
      if (latency == Latency.TO_FIRST_RESPONSE) {
        long first = firstMessageLatency >= 0 ? firstMessageLatency : headersLatency;
        if (first >= 0) {
          sample = first;
        }
      }
      if (success) {
        lease.onSuccess(sample, inboundBytes);
      } else {
        lease.onFailure(sample, status.asRuntimeException());
      }
    }
  }
}

package dev.lb.grpc;

import dev.lb.Lease;
import dev.lb.Ticker;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Completes one pick's {@link Lease} from the RPC attempt's final status: the stream tracer it
 * creates measures the attempt from stream creation to close, counts the response's wire bytes, and
 * reports success, failure or cancellation as the {@link OutcomeClassifier} says.
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

  private final Lease lease;
  private final OutcomeClassifier classifier;
  private final Ticker ticker;
  private final PendingPicks pending;

  @SuppressWarnings("unused") // accessed through USED
  private volatile boolean used;

  LeaseTracerFactory(
      Lease lease, OutcomeClassifier classifier, Ticker ticker, PendingPicks pending) {
    this.lease = lease;
    this.classifier = classifier;
    this.ticker = ticker;
    this.pending = pending;
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
    return new LeaseTracer(lease, classifier, ticker);
  }

  /** One attempt's tracer; gRPC calls it from transport threads, one callback at a time. */
  static final class LeaseTracer extends ClientStreamTracer {
    private final Lease lease;
    private final OutcomeClassifier classifier;
    private final Ticker ticker;
    private final long start;
    // Written only by the stream's inbound path; read when the stream closes, after it.
    private volatile long inboundBytes;

    LeaseTracer(Lease lease, OutcomeClassifier classifier, Ticker ticker) {
      this.lease = lease;
      this.classifier = classifier;
      this.ticker = ticker;
      this.start = ticker.read();
    }

    @Override
    @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the stream's inbound path
    public void inboundWireSize(long bytes) {
      inboundBytes += bytes;
    }

    @Override
    public void streamClosed(Status status) {
      long latency = Math.max(0L, ticker.read() - start);
      switch (classifier.classify(status.getCode())) {
        case SUCCESS -> lease.onSuccess(latency, inboundBytes);
        case FAILURE -> lease.onFailure(latency, status.asRuntimeException());
        case CANCEL -> lease.onCancel();
      }
    }
  }
}

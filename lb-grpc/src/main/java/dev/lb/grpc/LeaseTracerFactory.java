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
 * subchannel; should it ask again, later tracers do nothing, so the lease is reported once.
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

  @SuppressWarnings("unused") // accessed through USED
  private volatile boolean used;

  LeaseTracerFactory(Lease lease, OutcomeClassifier classifier, Ticker ticker) {
    this.lease = lease;
    this.classifier = classifier;
    this.ticker = ticker;
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(
      ClientStreamTracer.StreamInfo info, Metadata headers) {
    if (!USED.compareAndSet(this, false, true)) {
      return NOOP;
    }
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

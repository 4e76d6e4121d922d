package dev.lb.grpc;

import static java.util.Objects.requireNonNull;

import dev.lb.Endpoint;
import dev.lb.probe.ProbeResult;
import dev.lb.probe.Prober;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Prequal's probe over gRPC ({@link dev.lb.strategy.Prequal}): a unary call of {@code
 * /lb.probe.v1.Probe/Probe} ({@link ProbeService}) on the endpoint's own channel, answered with the
 * server's requests in flight and latency estimate. The {@code lb_prequal} policy probes over each
 * endpoint's subchannel by itself; build one of these for a {@link dev.lb.LoadBalancer} used
 * outside a gRPC channel.
 *
 * <p>A probe is its own call: it goes straight over the endpoint's channel, never through a
 * balanced channel's picker, so it is never counted as a call. Its deadline is the prober's
 * timeout; a status other than OK, an answer that does not parse or the deadline completes the
 * stage exceptionally; cancelling the stage cancels the call. Non-blocking.
 *
 * <p>Thread-safe: one prober probes any number of endpoints concurrently.
 */
public final class GrpcProber implements Prober {
  private final Function<Endpoint, Channel> channels;
  private final Duration timeout;

  private GrpcProber(Function<Endpoint, Channel> channels, Duration timeout) {
    this.channels = channels;
    this.timeout = timeout;
  }

  /**
   * A prober that calls each endpoint over the channel {@code channels} gives for it.
   *
   * @param channels the channel to one endpoint (a subchannel's, or a channel of its own); called
   *     on the thread that starts the probe, must not block
   * @param timeout each probe's deadline, positive
   * @return the prober
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public static GrpcProber create(Function<Endpoint, Channel> channels, Duration timeout) {
    requireNonNull(channels, "channels");
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive but was " + timeout);
    }
    return new GrpcProber(channels, timeout);
  }

  /**
   * Each probe's deadline.
   *
   * @return positive
   */
  public Duration timeout() {
    return timeout;
  }

  @Override
  public CompletionStage<ProbeResult> probe(Endpoint endpoint) {
    requireNonNull(endpoint, "endpoint");
    CompletableFuture<ProbeResult> answer = new CompletableFuture<>();
    Channel channel;
    try {
      channel = requireNonNull(channels.apply(endpoint), "channel for " + endpoint.id());
    } catch (RuntimeException e) {
      answer.completeExceptionally(e);
      return answer;
    }
    ClientCall<byte[], byte[]> call =
        channel.newCall(
            ProbeService.METHOD,
            CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS));
    CompletableFuture<ProbeResult> unused =
        answer.whenComplete(
            (r, t) -> {
              if (answer.isCancelled()) {
                call.cancel("probe cancelled", null);
              }
            });
    try {
      call.start(
          new ClientCall.Listener<>() {
            private byte @Nullable [] message;

            @Override
            public void onMessage(byte[] m) {
              message = m;
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
              byte[] m = message;
              if (!status.isOk()) {
                answer.completeExceptionally(status.asRuntimeException(trailers));
              } else if (m == null) {
                answer.completeExceptionally(new IllegalStateException("probe answered nothing"));
              } else {
                try {
                  answer.complete(ProbeResult.parse(new String(m, StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException e) {
                  answer.completeExceptionally(e);
                }
              }
            }
          },
          new Metadata());
      call.request(1);
      call.sendMessage(new byte[0]);
      call.halfClose();
    } catch (RuntimeException e) {
      call.cancel("probe failed to start", e);
      answer.completeExceptionally(e);
    }
    return answer;
  }

  @Override
  public String toString() {
    return "GrpcProber{timeout=" + timeout + "}";
  }
}

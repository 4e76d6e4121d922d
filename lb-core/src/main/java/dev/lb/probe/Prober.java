package dev.lb.probe;

import dev.lb.Endpoint;
import java.util.concurrent.CompletionStage;

/**
 * Asks one endpoint how loaded it is: its requests in flight (RIF) and an estimate of the latency a
 * request would see at that load. The {@code prequal} strategy ({@link dev.lb.strategy.Prequal})
 * probes a few endpoints per pick and balances by the answers; lb-okhttp's {@code HttpProber} and
 * lb-grpc's {@code GrpcProber} probe over the wire, a simulator or a test answers from a script.
 *
 * <p><b>Threading.</b> The strategy calls {@link #probe} on the balancer's scheduler thread (or the
 * probe executor the strategy was given), never on a thread that picks, and never while a pick
 * waits. {@code probe} must start the probe and return at once, without blocking: the answer
 * arrives through the returned stage, completed later on any thread. The strategy gives up on a
 * probe after its probe timeout and then cancels the stage ({@code toCompletableFuture().cancel}),
 * as it does for every outstanding probe when the balancer closes; an implementation should stop
 * the probe's call when its stage is cancelled, and may also apply its own timeout. A stage that
 * completes exceptionally, a {@code null} stage or answer, or an exception thrown by {@code probe}
 * counts as a failed probe: no answer enters the pool. A probe is not a call: it is never counted
 * in the endpoint's statistics, never passes through the balancer's admission, and a failed probe
 * does not count as a failed call.
 *
 * <p>Implementations must be thread-safe: several probes may be outstanding at once.
 */
@FunctionalInterface
public interface Prober {
  /**
   * Starts a probe of {@code endpoint}.
   *
   * @param endpoint the endpoint to ask, as currently configured; never null
   * @return a stage completed with the endpoint's answer ({@link ProbeResult#of}), or completed
   *     exceptionally if the probe failed; never null
   */
  CompletionStage<ProbeResult> probe(Endpoint endpoint);
}

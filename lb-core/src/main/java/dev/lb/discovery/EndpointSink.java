package dev.lb.discovery;

import dev.lb.Endpoint;
import java.util.List;

/**
 * Receives what an {@link EndpointSource} finds: complete endpoint sets, or the news that a refresh
 * failed.
 *
 * <p>Sets are always complete: the sink works out what was added, removed or changed (a {@link
 * dev.lb.LoadBalancer} does so by endpoint id in {@link dev.lb.LoadBalancer#setEndpoints}). A
 * failure never clears the set: whoever consumes the sink keeps serving the last good one.
 *
 * <p>A source calls its sink from one thread at a time (calls may come from different threads, but
 * never overlap). Implementations must be fast and must not throw; {@link DiscoveryBinding} is the
 * usual one.
 */
public interface EndpointSink {
  /**
   * Delivers the source's current, complete set of endpoints.
   *
   * @param endpoints every endpoint the source knows now, in a stable order (sources sort them, so
   *     that an unchanged set compares equal to the previous one); must not be null
   */
  void update(List<Endpoint> endpoints);

  /**
   * Reports that the source could not refresh; the last good set stays in use.
   *
   * @param error why: the lookup's exception, or a description of invalid content
   */
  void fail(Throwable error);
}

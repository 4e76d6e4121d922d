package dev.lb.discovery;

/**
 * Where endpoints come from: DNS, a file, a registry. A source looks endpoints up (once, on a
 * schedule, or by watching) and pushes each complete set to the {@link EndpointSink} it was started
 * with.
 *
 * <pre>{@code
 * EndpointSource source = DnsEndpointSource.forAddresses("api.internal", 8080).build();
 * DiscoveryBinding binding = DiscoveryBinding.bind(source, balancer); // starts the source
 * // ...
 * binding.close();                                                      // stops it
 * }</pre>
 *
 * <p>Contract for implementations:
 *
 * <ul>
 *   <li>{@link #start} is called once; it must not block for a lookup (do the first one on another
 *       thread) and it may deliver the first result before it returns.
 *   <li>The sink is called from one thread at a time; calls never overlap.
 *   <li>Every {@link EndpointSink#update} carries the complete set, sorted in a stable order.
 *   <li>A lookup that fails is reported with {@link EndpointSink#fail}; the source keeps trying.
 *   <li>After {@link #close} returns, the source starts no new lookup; a lookup already under way
 *       may still deliver once (a {@link DiscoveryBinding} ignores it once closed).
 * </ul>
 *
 * <p>Implementations must be thread-safe: {@link #close} may be called from any thread.
 */
public interface EndpointSource extends AutoCloseable {
  /**
   * A short description of the source for events, status and logs, such as {@code
   * dns:api.internal:8080} or {@code file:/etc/lb/users.json}.
   *
   * @return the source's name, never blank
   */
  String name();

  /**
   * Starts looking endpoints up and delivering them to {@code sink}.
   *
   * @param sink where to deliver complete sets and failures; must not be null
   * @throws NullPointerException if {@code sink} is null
   * @throws IllegalStateException if the source was already started or is closed
   */
  void start(EndpointSink sink);

  /** Stops the source and releases what it holds (threads, connections, watches); idempotent. */
  @Override
  void close();
}

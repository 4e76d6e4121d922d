package dev.lb.grpc;

import dev.lb.BalancerStats;
import dev.lb.LoadBalancerListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The live lb policies of this process's channels, by channel target: where to read a channel's
 * balancer statistics (per endpoint: calls in flight, picks, successes, failures, latency) and to
 * listen to its balancer's events (ejections, health changes, panic mode, membership).
 *
 * <pre>{@code
 * ManagedChannel channel = ManagedChannelBuilder.forTarget("lb:///users")
 *     .defaultLoadBalancingPolicy("lb_peak_ewma").usePlaintext().build();
 * ...
 * for (BalancerStats stats : LbChannels.stats("lb:///users")) {
 *   logger.info(stats.toTable());
 * }
 * }</pre>
 *
 * <p>A policy registers when the channel creates it and unregisters when the channel shuts it down
 * (on shutdown, or when the channel goes idle). gRPC creates a channel's policy only when the
 * channel first connects, at its first call or {@code channel.getState(true)}: until then {@link
 * #stats} has nothing to report for it and returns an empty list, as it does once the channel is
 * idle again. Its balancer's members are every resolved endpoint; those whose subchannel is not
 * READY show as UNHEALTHY. Thread-safe.
 */
public final class LbChannels {
  private static final Map<String, CopyOnWriteArrayList<ControlledPolicy>> BY_TARGET =
      new ConcurrentHashMap<>();

  private static final Map<String, CopyOnWriteArrayList<LoadBalancerListener>> LISTENERS =
      new ConcurrentHashMap<>();

  private LbChannels() {}

  /**
   * Registers a listener for the lb-core events of every lb policy of channels built for {@code
   * target}: those live now, and those created later (a policy builds a new balancer when its
   * strategy or balancer options change, and the listener follows). Channels of one target share an
   * authority, so the balancers' names are alike: the {@code balancer} instance of each event is
   * what tells their events apart.
   *
   * <pre>{@code
   * LbChannels.addListener("lb:///users", new LoadBalancerListener() {
   *   @Override public void onEjected(LoadBalancer lb, Endpoint e, String reason, Duration d) {
   *     metrics.counter("ejections", "endpoint", e.id()).increment();
   *   }
   * });
   * }</pre>
   *
   * <p>Events come on the channel's synchronization context (the balancer runs every state change
   * there), never under a lock: a listener must be fast and must not block. One that throws is
   * logged on the channel's logger and the others are still told. The channel also logs the
   * important events itself, on its {@code ChannelLogger}.
   *
   * @param target the channel's target exactly as given to {@code forTarget}, such as {@code
   *     lb:///users}
   * @param listener the listener; registering it twice delivers each event twice
   * @throws NullPointerException if either argument is null
   * @throws IllegalArgumentException if {@code target} is blank
   */
  public static void addListener(String target, LoadBalancerListener listener) {
    checkTarget(target);
    Objects.requireNonNull(listener, "listener must not be null");
    LISTENERS.compute(
        target,
        (t, list) -> {
          CopyOnWriteArrayList<LoadBalancerListener> l =
              list == null ? new CopyOnWriteArrayList<>() : list;
          l.add(listener);
          return l;
        });
  }

  /**
   * Removes one registration of a listener added with {@link #addListener}; events already under
   * way may still reach it.
   *
   * @param target the target it was registered for
   * @param listener the listener
   * @return true if it was registered for {@code target}
   * @throws NullPointerException if either argument is null
   */
  public static boolean removeListener(String target, LoadBalancerListener listener) {
    Objects.requireNonNull(target, "target must not be null");
    Objects.requireNonNull(listener, "listener must not be null");
    boolean[] removed = new boolean[1];
    LISTENERS.computeIfPresent(
        target,
        (t, list) -> {
          removed[0] = list.remove(listener);
          return list.isEmpty() ? null : list;
        });
    return removed[0];
  }

  private static void checkTarget(String target) {
    Objects.requireNonNull(target, "target must not be null");
    if (target.isBlank()) {
      throw new IllegalArgumentException("target must not be blank but was '" + target + "'");
    }
  }

  /** The listeners registered for {@code target}, for a policy's events; any thread. */
  static List<LoadBalancerListener> listeners(String target) {
    List<LoadBalancerListener> list = LISTENERS.get(target);
    return list == null ? List.of() : list;
  }

  /**
   * Returns a copy of the statistics of every live lb policy of channels built for {@code target}.
   *
   * @param target the channel's target exactly as given to {@code forTarget}, such as {@code
   *     lb:///users}
   * @return one statistics snapshot per live policy (usually one per channel), empty if there is
   *     none
   * @throws NullPointerException if {@code target} is null
   */
  public static List<BalancerStats> stats(String target) {
    Objects.requireNonNull(target, "target must not be null");
    List<BalancerStats> result = new ArrayList<>();
    List<ControlledPolicy> list = BY_TARGET.get(target);
    if (list != null) {
      for (ControlledPolicy p : list) {
        BalancerStats stats = p.stats();
        if (stats != null) {
          result.add(stats);
        }
      }
    }
    return List.copyOf(result);
  }

  /**
   * The targets of the channels that have a live lb policy, sorted.
   *
   * @return an immutable sorted set of channel targets
   */
  public static SortedSet<String> targets() {
    TreeSet<String> targets = new TreeSet<>();
    BY_TARGET.forEach(
        (target, list) -> {
          if (!list.isEmpty()) {
            targets.add(target);
          }
        });
    return Collections.unmodifiableSortedSet(targets);
  }

  /**
   * Returns the runtime-control handle of the channels built for {@code target}: drain, disable and
   * enable their endpoints, read their statistics.
   *
   * @param target the channel's target exactly as given to {@code forTarget}, such as {@code
   *     lb:///users}
   * @return a handle for the target; its operations reach the policies live when they run
   * @throws NullPointerException if {@code target} is null
   * @throws IllegalArgumentException if {@code target} is blank
   */
  public static LbControl control(String target) {
    checkTarget(target);
    return new LbControl(target);
  }

  /** The live policies of {@code target}; any thread. */
  static List<ControlledPolicy> policies(String target) {
    List<ControlledPolicy> list = BY_TARGET.get(target);
    return list == null ? List.of() : List.copyOf(list);
  }

  /** Registers a policy under {@code target}; run the result to unregister. */
  static Runnable register(String target, ControlledPolicy policy) {
    BY_TARGET.compute(
        target,
        (t, list) -> {
          CopyOnWriteArrayList<ControlledPolicy> l =
              list == null ? new CopyOnWriteArrayList<>() : list;
          l.add(policy);
          return l;
        });
    return () ->
        BY_TARGET.computeIfPresent(
            target,
            (t, list) -> {
              list.remove(policy);
              return list.isEmpty() ? null : list;
            });
  }
}

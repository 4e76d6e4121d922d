package dev.lb.grpc;

import dev.lb.BalancerStats;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The live lb policies of this process's channels, by channel target: where to read a channel's
 * balancer statistics (per endpoint: calls in flight, picks, successes, failures, latency).
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
 * <p>A policy registers when it first receives addresses and unregisters when the channel shuts it
 * down (on shutdown, or when the channel goes idle). Its balancer's members are every resolved
 * endpoint; those whose subchannel is not READY show as UNHEALTHY. Thread-safe.
 */
public final class LbChannels {
  private static final Map<String, CopyOnWriteArrayList<Supplier<@Nullable BalancerStats>>>
      BY_TARGET = new ConcurrentHashMap<>();

  private LbChannels() {}

  /**
   * Returns a copy of the statistics of every live lb policy of channels built for {@code target}.
   *
   * @param target the channel's target exactly as given to {@code forTarget}, such as {@code
   *     lb:///users}
   * @return one statistics snapshot per live policy (usually one per channel), empty if there is
   *     none
   */
  public static List<BalancerStats> stats(String target) {
    List<BalancerStats> result = new ArrayList<>();
    List<Supplier<@Nullable BalancerStats>> list = BY_TARGET.get(target);
    if (list != null) {
      for (Supplier<@Nullable BalancerStats> s : list) {
        BalancerStats stats = s.get();
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

  /** Registers a policy's statistics under {@code target}; run the result to unregister. */
  static Runnable register(String target, Supplier<@Nullable BalancerStats> stats) {
    BY_TARGET.compute(
        target,
        (t, list) -> {
          CopyOnWriteArrayList<Supplier<@Nullable BalancerStats>> l =
              list == null ? new CopyOnWriteArrayList<>() : list;
          l.add(stats);
          return l;
        });
    return () ->
        BY_TARGET.computeIfPresent(
            target,
            (t, list) -> {
              list.remove(stats);
              return list.isEmpty() ? null : list;
            });
  }
}

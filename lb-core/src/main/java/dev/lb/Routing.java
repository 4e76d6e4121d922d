package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Decides where calls go, from the members' status bits, and builds the {@link Snapshot} that picks
 * read: the group (primaries, or backups when no primary is healthy), the priority split and panic
 * per level ({@link PriorityLoad}), the zone split within a level, and the strategy's pickers. Runs
 * on the serialized path; keeps the last stable-membership picker so that hash tables are rebuilt
 * only when the members or their weights change. Members outside this client's subset ({@link
 * SubsetFilter}) stay in the snapshot's membership but in no group, level or picker.
 */
final class Routing {
  private final Strategy strategy;
  private final StrategyContext context;
  private final int panicThreshold;
  private final @Nullable String localZone;

  // Guarded by the update lock.
  private double overprovisioning;
  private @Nullable Picker stablePicker;
  private @Nullable List<Object> stablePickerKey;

  Routing(
      Strategy strategy,
      StrategyContext context,
      int panicThreshold,
      @Nullable String localZone,
      double overprovisioning) {
    this.strategy = strategy;
    this.context = context;
    this.panicThreshold = panicThreshold;
    this.localZone = localZone;
    this.overprovisioning = overprovisioning;
  }

  /** Routes with a new overprovisioning factor ({@link TrafficPolicy}); under the update lock. */
  void overprovisioning(double factor) {
    overprovisioning = factor;
  }

  /**
   * Forgets the stable picker, so the next route builds one with the strategy's new delegate
   * ({@link SwitchableStrategy}); under the update lock.
   */
  void strategyChanged() {
    stablePicker = null;
    stablePickerKey = null;
  }

  /** Builds the routing snapshot for {@code members}, in membership order. */
  Snapshot route(Collection<Member> members) {
    List<EndpointState> all = new ArrayList<>(members.size());
    List<Endpoint> everyone = new ArrayList<>(members.size());
    List<EndpointState> primaries = new ArrayList<>();
    List<EndpointState> backups = new ArrayList<>();
    int healthyPrimaries = 0;
    int healthyBackups = 0;
    for (Member m : members) {
      EndpointState e = m.state;
      everyone.add(e.endpoint());
      if (m.subsetShare == 0) {
        continue; // outside this client's subset: a member, but not routed to (SubsetFilter)
      }
      all.add(e);
      if ((e.status() & EndpointState.ADMINISTRATIVE) != 0) {
        continue;
      }
      if (e.endpoint().backup()) {
        backups.add(e);
        healthyBackups += e.status() == 0 ? 1 : 0;
      } else {
        primaries.add(e);
        healthyPrimaries += e.status() == 0 ? 1 : 0;
      }
    }
    List<EndpointState> group;
    int healthy;
    if (healthyPrimaries == 0 && healthyBackups > 0) {
      group = backups;
      healthy = healthyBackups;
    } else if (!primaries.isEmpty()) {
      group = primaries;
      healthy = healthyPrimaries;
    } else {
      group = backups;
      healthy = healthyBackups;
    }
    int healthyPercent = group.isEmpty() ? 100 : (int) (100L * healthy / group.size());
    if (group.isEmpty()) {
      return new Snapshot(
          all, everyone, List.of(), Snapshot.EMPTY_PICKER, 0, ~0, false, healthyPercent, false);
    }
    List<List<EndpointState>> levels = levels(group);
    PriorityLoad load = load(levels);
    boolean panic = load.anyPanic();
    int admitMask = panic ? Snapshot.PANIC_MASK : ~0;
    List<EndpointState> pool = new ArrayList<>();
    List<List<EndpointState>> parts = new ArrayList<>();
    List<Double> shares = new ArrayList<>();
    List<Integer> partLevels = new ArrayList<>();
    for (int i = 0; i < levels.size(); i++) {
      int mask = load.panic(i) ? Snapshot.PANIC_MASK : ~0;
      List<EndpointState> part = new ArrayList<>();
      for (EndpointState e : levels.get(i)) {
        if ((e.status() & mask) == 0) {
          part.add(e);
        }
      }
      pool.addAll(part);
      if (load.share(i) > 0 && !part.isEmpty()) {
        parts.add(part);
        shares.add(load.share(i));
        partLevels.add(i);
      }
    }
    if (strategy.stableMembership()) {
      boolean backupGroup = group.get(0).endpoint().backup();
      List<EndpointState> over = new ArrayList<>();
      List<Double> subsetShares = new ArrayList<>();
      for (Member m : members) {
        if (m.endpoint().backup() == backupGroup && m.subsetShare > 0) {
          over.add(m.state);
          subsetShares.add(m.subsetShare);
        }
      }
      return new Snapshot(
          all,
          everyone,
          pool,
          stablePicker(over, subsetShares),
          over.size(),
          admitMask,
          panic,
          healthyPercent,
          false);
    }
    Picker picker =
        parts.isEmpty()
            ? Snapshot.EMPTY_PICKER
            : splitPicker(parts, shares, partLevels, load, levels);
    return new Snapshot(
        all,
        everyone,
        pool,
        picker,
        Math.min(pool.size(), 3),
        admitMask,
        panic,
        healthyPercent,
        false);
  }

  /** The group's endpoints by priority level, most preferred first. */
  private static List<List<EndpointState>> levels(List<EndpointState> group) {
    TreeMap<Integer, List<EndpointState>> byPriority = new TreeMap<>();
    for (EndpointState e : group) {
      byPriority.computeIfAbsent(e.endpoint().priority(), p -> new ArrayList<>()).add(e);
    }
    return new ArrayList<>(byPriority.values());
  }

  private PriorityLoad load(List<List<EndpointState>> levels) {
    int n = levels.size();
    int[] healthy = new int[n];
    int[] total = new int[n];
    for (int i = 0; i < n; i++) {
      for (EndpointState e : levels.get(i)) {
        healthy[i] += e.status() == 0 ? 1 : 0;
      }
      total[i] = levels.get(i).size();
    }
    return PriorityLoad.compute(healthy, total, overprovisioning, panicThreshold);
  }

  /**
   * Hash-style pickers are rebuilt only when the endpoints, their weights or their subset shares
   * change.
   */
  private Picker stablePicker(List<EndpointState> over, List<Double> shares) {
    List<Object> key = new ArrayList<>(over.size() + shares.size());
    for (EndpointState e : over) {
      key.add(e.endpoint());
    }
    key.addAll(shares);
    Picker cached = stablePicker;
    if (cached != null && key.equals(stablePickerKey)) {
      return cached;
    }
    // The previous picker lets hash strategies update their tables with the changed endpoints'
    // points only, instead of rebuilding them.
    List<LiveEndpoint> view = List.copyOf(over);
    Picker picker =
        checkNotNull(
            strategy.newPicker(view, context, cached),
            "picker built by strategy " + strategy.name());
    stablePicker = picker;
    stablePickerKey = key;
    return picker;
  }

  private Picker newPicker(List<EndpointState> endpoints) {
    List<LiveEndpoint> view = List.copyOf(endpoints);
    return checkNotNull(
        strategy.newPicker(view, context), "picker built by strategy " + strategy.name());
  }

  /**
   * One picker per level part (a panicking level's part holds all its endpoints that can carry
   * calls; another level's, its healthy ones, split by the caller's zone), chosen by share.
   */
  private Picker splitPicker(
      List<List<EndpointState>> parts,
      List<Double> shares,
      List<Integer> partLevels,
      PriorityLoad load,
      List<List<EndpointState>> levels) {
    int n = parts.size();
    double sum = 0;
    for (double s : shares) {
      sum += s;
    }
    double[] levelEnd = new double[n];
    Picker[] local = new Picker[n];
    Picker[] remote = new Picker[n];
    double[] localShare = new double[n];
    double cumulative = 0;
    boolean split = n > 1;
    for (int i = 0; i < n; i++) {
      cumulative += shares.get(i) / sum;
      levelEnd[i] = i == n - 1 ? 1.0 : cumulative;
      List<EndpointState> part = parts.get(i);
      List<EndpointState> near = new ArrayList<>();
      List<EndpointState> far = new ArrayList<>();
      for (EndpointState e : part) {
        (localZone != null && localZone.equals(e.endpoint().zone()) ? near : far).add(e);
      }
      int level = partLevels.get(i);
      if (localZone == null || load.panic(level) || near.isEmpty() || far.isEmpty()) {
        local[i] = newPicker(part);
        localShare[i] = 1.0;
        continue;
      }
      int nearTotal = 0;
      for (EndpointState e : levels.get(level)) {
        nearTotal += localZone.equals(e.endpoint().zone()) ? 1 : 0;
      }
      double keep = Math.min(1.0, overprovisioning * near.size() / Math.max(1, nearTotal));
      local[i] = newPicker(near);
      localShare[i] = keep;
      if (keep < 1.0) {
        remote[i] = newPicker(far);
        split = true;
      }
    }
    return split
        ? new RoutingPicker(levelEnd, local, remote, localShare, context.random())
        : local[0];
  }
}

package dev.lb;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The members, the removed endpoints still draining, and the diff that brings the members to a
 * desired list: which endpoints are new, which come back before their drain ended, which leave, and
 * which keep their id under a new configuration (keeping their live state). Guarded by the update
 * lock; a diff can be rolled back if the new routing cannot be built.
 */
final class Membership {
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final Map<String, Member> removing = new LinkedHashMap<>();
  private final IdentityHashMap<EndpointState, Member> byState = new IdentityHashMap<>();
  private long version;

  /** What one change did; {@link #rollback} undoes it. */
  static final class Diff {
    final List<Member> added = new ArrayList<>();
    final List<Member> gone = new ArrayList<>();
    private final Map<EndpointState, Endpoint> reconfigured = new HashMap<>();
    private final Map<String, Member> before;
    private final Map<String, Member> removingBefore;

    private Diff(Map<String, Member> before, Map<String, Member> removingBefore) {
      this.before = before;
      this.removingBefore = removingBefore;
    }
  }

  /** The members in membership order: a copy. */
  List<Member> members() {
    return new ArrayList<>(members.values());
  }

  /** Members, then removed endpoints still draining: a copy. */
  List<Member> everyone() {
    List<Member> all = new ArrayList<>(members.size() + removing.size());
    all.addAll(members.values());
    all.addAll(removing.values());
    return all;
  }

  long version() {
    return version;
  }

  boolean contains(String id) {
    return members.containsKey(id);
  }

  @Nullable Member get(String id) {
    return members.get(id);
  }

  /** A member, or a removed endpoint still draining. */
  @Nullable Member find(String id) {
    Member m = members.get(id);
    return m != null ? m : removing.get(id);
  }

  /** The member or draining endpoint whose live state this is, if it is still known. */
  @Nullable Member of(EndpointState state) {
    return byState.get(state);
  }

  List<Endpoint> endpoints() {
    List<Endpoint> list = new ArrayList<>(members.size());
    for (Member m : members.values()) {
      list.add(m.endpoint());
    }
    return list;
  }

  /** Registers an initial or newly created member. */
  void register(Member m) {
    members.putIfAbsent(m.id(), m);
    byState.put(m.state, m);
  }

  /** Forgets a removed endpoint whose drain is over: its statistics go. */
  void forget(Member m) {
    removing.remove(m.id());
    byState.remove(m.state);
  }

  /**
   * Brings the members to {@code desired} (distinct ids) and returns what changed, or null if
   * nothing did. New members come from {@code create} and are not registered yet; members that
   * leave move to the draining set; members that come back leave it.
   */
  @Nullable Diff apply(List<Endpoint> desired, Function<Endpoint, Member> create) {
    if (endpoints().equals(desired)) {
      return null;
    }
    Diff diff = new Diff(new LinkedHashMap<>(members), new LinkedHashMap<>(removing));
    Map<String, Member> next = new LinkedHashMap<>();
    for (Endpoint e : desired) {
      Member m = members.get(e.id());
      if (m == null) {
        m = removing.get(e.id());
        if (m == null) {
          m = create.apply(e);
        }
        diff.added.add(m);
      }
      if (!m.endpoint().equals(e)) {
        diff.reconfigured.put(m.state, m.endpoint());
        m.state.endpoint(e);
      }
      next.put(e.id(), m);
    }
    for (Member m : members.values()) {
      if (!next.containsKey(m.id())) {
        diff.gone.add(m);
      }
    }
    members.clear();
    members.putAll(next);
    return diff;
  }

  /** Undoes {@link #apply}, before anything else saw it. */
  void rollback(Diff diff) {
    diff.reconfigured.forEach(EndpointState::endpoint);
    members.clear();
    members.putAll(diff.before);
    removing.clear();
    removing.putAll(diff.removingBefore);
  }

  /** Commits {@link #apply}: moves the members that left to the draining set. */
  void commit(Diff diff) {
    version++;
    for (Member m : diff.added) {
      removing.remove(m.id());
      byState.put(m.state, m);
    }
    for (Member m : diff.gone) {
      removing.put(m.id(), m);
    }
  }

  /** Whether {@code m} came back from the draining set in this diff. */
  boolean cameBack(Diff diff, Member m) {
    return diff.removingBefore.containsKey(m.id());
  }
}

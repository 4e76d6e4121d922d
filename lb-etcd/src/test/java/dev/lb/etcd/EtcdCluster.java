package dev.lb.etcd;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real etcd cluster of several members on 127.0.0.1 (Debian's {@code etcd-server}, as {@link
 * EtcdServer}): every member with its own ephemeral client and peer ports and its own temporary
 * data directory, the fast heartbeats and elections of {@link EtcdServer}, bootstrapped with {@code
 * --initial-cluster-state new}. Each member is killed and restarted by its own handle; {@link
 * #close} kills every process by its handle and deletes every data directory.
 */
final class EtcdCluster implements AutoCloseable {
  private static final Duration ELECTION_TIMEOUT = Duration.ofSeconds(15);

  private final List<EtcdServer> members;

  private EtcdCluster(List<EtcdServer> members) {
    this.members = List.copyOf(members);
  }

  /** Starts {@code size} members and waits until every one is healthy (a leader is elected). */
  static EtcdCluster start(int size) throws IOException, InterruptedException {
    int[] ports = EtcdServer.freePorts(2 * size);
    String token = "lb-test-cluster-" + ports[0];
    List<EtcdServer> members = new ArrayList<>();
    try {
      for (int i = 0; i < size; i++) {
        members.add(EtcdServer.member("m" + i, ports[2 * i], ports[2 * i + 1], token));
      }
      String initialCluster =
          members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(","));
      // Every member first, then the waits: no member is healthy before a quorum runs.
      for (EtcdServer m : members) {
        m.join(initialCluster);
        m.launch();
      }
      for (EtcdServer m : members) {
        m.awaitHealthy();
      }
      return new EtcdCluster(members);
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      for (EtcdServer m : members) {
        try {
          m.close();
        } catch (IOException closing) {
          e.addSuppressed(closing);
        }
      }
      throw e;
    }
  }

  List<EtcdServer> members() {
    return members;
  }

  /** Every member but {@code these}. */
  List<EtcdServer> except(Collection<EtcdServer> these) {
    return members.stream().filter(m -> !these.contains(m)).toList();
  }

  /**
   * Waits (at most {@link #ELECTION_TIMEOUT}) until every one of {@code among}, asked through
   * etcd's own Status RPC, follows the same leader and that leader is one of them; returns it.
   */
  EtcdServer awaitLeader(Collection<EtcdServer> among) throws InterruptedException {
    long deadline = System.nanoTime() + ELECTION_TIMEOUT.toNanos();
    String lastSeen = "";
    while (System.nanoTime() < deadline) {
      EtcdServer leader = null;
      String agreed = null;
      boolean agree = true;
      StringBuilder seen = new StringBuilder();
      for (EtcdServer m : among) {
        try {
          EtcdServer.RaftStatus status = m.status();
          seen.append(m.name()).append(": ").append(status).append("; ");
          if (!status.hasLeader() || (agreed != null && !agreed.equals(status.leaderId()))) {
            agree = false;
          }
          agreed = status.leaderId();
          if (status.isLeader()) {
            leader = m;
          }
        } catch (IOException e) {
          seen.append(m.name()).append(": ").append(e).append("; ");
          agree = false;
        }
      }
      lastSeen = seen.toString();
      if (agree && leader != null) {
        return leader;
      }
      Thread.sleep(20); // polling raft state; etcd announces no election to a bystander
    }
    throw new AssertionError(
        "no leader among " + names(among) + " within " + ELECTION_TIMEOUT + ": " + lastSeen);
  }

  private static List<String> names(Collection<EtcdServer> among) {
    return among.stream().map(EtcdServer::name).toList();
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (EtcdServer m : members) {
      try {
        m.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}

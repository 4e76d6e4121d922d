package dev.lb.examples;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.Ticker;
import dev.lb.hash.HashStrategies;
import dev.lb.hash.StickTable;
import dev.lb.okhttp.KeyExtractor;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import dev.lb.strategy.Strategy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Consistent hashing and sticky sessions over real HTTP: the same user always reaches the same
 * backend, and membership changes move as few users as possible.
 *
 * <ol>
 *   <li><b>Ring hash</b> ({@link HashStrategies#ringHash()}) keyed by the {@code X-User} header:
 *       every user is answered by one backend, call after call. When a backend leaves, only its own
 *       users move; when one joins, it takes about its fair share of users from the others.
 *   <li><b>Sticky sessions</b> ({@link HashStrategies#sticky(StickTable)}): a session's first call
 *       goes to the least busy backend and the session stays there, remembered in a {@link
 *       StickTable}, so a backend that joins takes only new sessions and none moves.
 * </ol>
 *
 * <pre>
 * ./mvnw -q -pl examples -am compile exec:java -Dexec.mainClass=dev.lb.examples.HashingExample
 * </pre>
 */
public final class HashingExample {
  private HashingExample() {}

  /**
   * Runs the example with 200 users and prints what it shows.
   *
   * @param args ignored
   * @throws IOException if a local server cannot start or a call fails
   */
  public static void main(String[] args) throws IOException {
    System.out.print(run(200).report());
  }

  /**
   * What the example showed.
   *
   * @param users how many users called
   * @param ringOwners users per backend under the ring hash
   * @param ringConsistent true if every user's calls all reached one backend
   * @param removedOwned users the removed backend had
   * @param movedOnRemoval users whose backend changed when it left
   * @param movedOffOthersOnRemoval of those, users that had another backend (0 when consistent)
   * @param movedOnJoinRing users that moved when a backend joined the ring
   * @param movedOnJoinElsewhere of those, users that moved to another backend than the new one
   * @param movedOnJoinSticky sessions that moved when a backend joined under sticky sessions
   * @param report the printed report
   */
  record Result(
      int users,
      Map<String, Integer> ringOwners,
      boolean ringConsistent,
      int removedOwned,
      int movedOnRemoval,
      int movedOffOthersOnRemoval,
      int movedOnJoinRing,
      int movedOnJoinElsewhere,
      int movedOnJoinSticky,
      String report) {}

  /** Runs the example with {@code users} users. */
  static Result run(int users) throws IOException {
    ExecutorService threads = Executors.newCachedThreadPool();
    List<Backend> backends = new ArrayList<>();
    try {
      for (int i = 1; i <= 5; i++) {
        backends.add(Backend.start("b" + i, threads, 0, i));
      }
      List<Endpoint> firstFour = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        firstFour.add(backends.get(i).endpoint());
      }
      Endpoint fifth = backends.get(4).endpoint();
      StringBuilder report = new StringBuilder();

      // --- consistent hashing --------------------------------------------------------------
      LoadBalancer ring =
          LoadBalancer.builder()
              .name("profiles")
              .strategy(HashStrategies.ringHash())
              .endpoints(firstFour)
              .build();
      OkHttpClient client = client(ring);
      // --- end of consistent hashing -------------------------------------------------------

      String[] first = owners(client, "profiles", users);
      boolean consistent = Arrays.equals(first, owners(client, "profiles", users));
      Map<String, Integer> perBackend = new TreeMap<>();
      for (String owner : first) {
        perBackend.merge(owner, 1, Integer::sum);
      }
      report.append(
          String.format(
              Locale.ROOT,
              "ring_hash over b1..b4, keyed by X-User: %d users, each answered by the same backend"
                  + " on every call: %s%n  users per backend: %s%n",
              users,
              consistent,
              perBackend));

      String leaving = "b4";
      ring.removeEndpoint(leaving);
      String[] afterRemoval = owners(client, "profiles", users);
      int owned = 0;
      int moved = 0;
      int movedOthers = 0;
      for (int u = 0; u < users; u++) {
        owned += first[u].equals(leaving) ? 1 : 0;
        if (!first[u].equals(afterRemoval[u])) {
          moved++;
          movedOthers += first[u].equals(leaving) ? 0 : 1;
        }
      }
      report.append(
          String.format(
              Locale.ROOT,
              "%s removed: %d users moved, the %d it had; %d of the others moved%n",
              leaving,
              moved,
              owned,
              movedOthers));

      ring.addEndpoint(firstFour.get(3));
      ring.addEndpoint(fifth);
      String[] afterJoin = owners(client, "profiles", users);
      int movedOnJoinRing = changed(first, afterJoin);
      int movedElsewhere = 0;
      for (int u = 0; u < users; u++) {
        movedElsewhere += !first[u].equals(afterJoin[u]) && !afterJoin[u].equals("b5") ? 1 : 0;
      }
      report.append(
          String.format(
              Locale.ROOT,
              "%s back and b5 added: %d of %d users moved, %d of them to another backend than b5%n",
              leaving,
              movedOnJoinRing,
              users,
              movedElsewhere));
      shutdown(client);

      // --- sticky sessions -----------------------------------------------------------------
      Strategy sticky =
          HashStrategies.sticky(
              StickTable.bounded(100_000, Duration.ofMinutes(30), Ticker.systemTicker()));
      LoadBalancer sessions =
          LoadBalancer.builder().name("carts").strategy(sticky).endpoints(firstFour).build();
      OkHttpClient stickyClient = client(sessions);
      // --- end of sticky sessions ----------------------------------------------------------

      String[] placed = owners(stickyClient, "carts", users);
      sessions.addEndpoint(fifth);
      int movedOnJoinSticky = changed(placed, owners(stickyClient, "carts", users));
      report.append(
          String.format(
              Locale.ROOT,
              "sticky sessions over b1..b4, then b5 added: %d of %d sessions moved%n",
              movedOnJoinSticky,
              users));
      shutdown(stickyClient);

      return new Result(
          users,
          perBackend,
          consistent,
          owned,
          moved,
          movedOthers,
          movedOnJoinRing,
          movedElsewhere,
          movedOnJoinSticky,
          report.toString());
    } finally {
      backends.forEach(Backend::kill);
      threads.shutdownNow();
    }
  }

  /** A client that balances calls to {@code http://<balancer name>/...} by their X-User key. */
  private static OkHttpClient client(LoadBalancer balancer) {
    return LoadBalancingInterceptor.builder()
        .service(
            Service.builder(balancer.name())
                .defaultTarget(balancer)
                .keyExtractor(KeyExtractor.header("X-User"))
                .build())
        .build()
        .newClient();
  }

  /** Calls {@code service} once as each user; returns the backend that answered each. */
  private static String[] owners(OkHttpClient client, String service, int users)
      throws IOException {
    String[] owners = new String[users];
    for (int u = 0; u < users; u++) {
      Request request =
          new Request.Builder()
              .url("http://" + service + "/work")
              .header("X-User", "user-" + u)
              .build();
      try (Response response = client.newCall(request).execute()) {
        owners[u] = response.body().string().split(" ", 2)[0];
      }
    }
    return owners;
  }

  private static int changed(String[] before, String[] after) {
    int n = 0;
    for (int i = 0; i < before.length; i++) {
      n += before[i].equals(after[i]) ? 0 : 1;
    }
    return n;
  }

  private static void shutdown(OkHttpClient client) {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }
}

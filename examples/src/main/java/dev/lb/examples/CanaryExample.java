package dev.lb.examples;

import dev.lb.LoadBalancer;
import dev.lb.okhttp.KeyExtractor;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import dev.lb.okhttp.TrafficSplit;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A canary release over real HTTP: 95% of users go to the stable version, 5% to the canary, each
 * user always to the same one; growing the canary to 25% only brings more users into it.
 *
 * <p>A {@link TrafficSplit} chooses the arm from a stable hash of the affinity key (the {@code
 * X-User} header), so the split is per user rather than per call: a user never flips between
 * versions in the middle of a session.
 *
 * <pre>
 * ./mvnw -q -pl examples -am compile exec:java -Dexec.mainClass=dev.lb.examples.CanaryExample
 * </pre>
 */
public final class CanaryExample {
  private CanaryExample() {}

  /**
   * Runs the example with 1000 users and prints what it shows.
   *
   * @param args ignored
   * @throws IOException if a local server cannot start or a call fails
   */
  public static void main(String[] args) throws IOException {
    System.out.print(run(1000).report());
  }

  /**
   * What the example showed.
   *
   * @param users how many users called
   * @param canaryUsers users whose call the canary answered at 95/5
   * @param usersKeptTheirArm true if every user's three calls reached the same version
   * @param canaryUsersGrown users in the canary at 75/25
   * @param canaryUsersThatLeft users in the canary at 95/5 but not at 75/25 (0 by design)
   * @param report the printed report
   */
  record Result(
      int users,
      int canaryUsers,
      boolean usersKeptTheirArm,
      int canaryUsersGrown,
      int canaryUsersThatLeft,
      String report) {}

  /** Runs the example with {@code users} users. */
  static Result run(int users) throws IOException {
    ExecutorService threads = Executors.newCachedThreadPool();
    List<Backend> backends = new ArrayList<>();
    try {
      Backend stable1 = Backend.start("stable-1", threads, 0, 1);
      Backend stable2 = Backend.start("stable-2", threads, 0, 2);
      Backend canary1 = Backend.start("canary-1", threads, 0, 3);
      backends.addAll(List.of(stable1, stable2, canary1));

      // --- canary 95/5 ---------------------------------------------------------------------
      LoadBalancer stable =
          LoadBalancer.builder()
              .name("shop-stable")
              .strategy(Strategies.powerOfTwoChoices())
              .endpoints(List.of(stable1.endpoint(), stable2.endpoint()))
              .build();
      LoadBalancer canary =
          LoadBalancer.builder().name("shop-canary").endpoints(List.of(canary1.endpoint())).build();
      OkHttpClient client = client(stable, canary, 95, 5);
      // --- end of canary 95/5 --------------------------------------------------------------

      boolean[] inCanary = new boolean[users];
      int canaryUsers = 0;
      boolean kept = true;
      for (int u = 0; u < users; u++) {
        inCanary[u] = call(client, u).startsWith("canary");
        canaryUsers += inCanary[u] ? 1 : 0;
        for (int again = 0; again < 2; again++) {
          kept &= call(client, u).startsWith("canary") == inCanary[u];
        }
      }
      shutdown(client);

      // Growing the canary: the last arm owns the top of the hash space, so it only gains users.
      OkHttpClient grown = client(stable, canary, 75, 25);
      int grownUsers = 0;
      int left = 0;
      for (int u = 0; u < users; u++) {
        boolean now = call(grown, u).startsWith("canary");
        grownUsers += now ? 1 : 0;
        left += inCanary[u] && !now ? 1 : 0;
      }
      shutdown(grown);

      String report =
          String.format(
              Locale.ROOT,
              "%d users, 95/5 split: canary answered %d (%.1f%%), stable %d%n"
                  + "every user reached the same version on all 3 calls: %s%n"
                  + "canary grown to 25%%: %d users (%.1f%%); canary users who left it: %d%n",
              users,
              canaryUsers,
              100.0 * canaryUsers / users,
              users - canaryUsers,
              kept,
              grownUsers,
              100.0 * grownUsers / users,
              left);
      return new Result(users, canaryUsers, kept, grownUsers, left, report);
    } finally {
      backends.forEach(Backend::kill);
      threads.shutdownNow();
    }
  }

  /** A client for {@code http://shop/...} that splits users between the two versions. */
  private static OkHttpClient client(
      LoadBalancer stable, LoadBalancer canary, int stableWeight, int canaryWeight) {
    return LoadBalancingInterceptor.builder()
        .service(
            Service.builder("shop")
                .defaultTarget(
                    TrafficSplit.builder()
                        .arm("stable", stable, stableWeight)
                        .arm("canary", canary, canaryWeight)
                        .build())
                .keyExtractor(KeyExtractor.header("X-User"))
                .build())
        .build()
        .newClient();
  }

  /** Calls as user {@code u}; returns the id of the backend that answered. */
  private static String call(OkHttpClient client, int u) throws IOException {
    Request request =
        new Request.Builder().url("http://shop/work").header("X-User", "user-" + u).build();
    try (Response response = client.newCall(request).execute()) {
      return response.body().string().split(" ", 2)[0];
    }
  }

  private static void shutdown(OkHttpClient client) {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }
}

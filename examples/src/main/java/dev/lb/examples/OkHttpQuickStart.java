package dev.lb.examples;

import com.sun.net.httpserver.HttpServer;
import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.okhttp.KeyExtractor;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Route;
import dev.lb.okhttp.Service;
import dev.lb.okhttp.TrafficSplit;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The README's OkHttp quick start, runnable: starts four tiny HTTP servers on the loopback address
 * (two API servers, a stable and a canary web server), balances {@code http://shop/...} over them
 * with a {@link LoadBalancingInterceptor}, and prints which server answered and each balancer's
 * stats.
 *
 * <pre>
 * ./mvnw -q -pl examples -am compile exec:java -Dexec.mainClass=dev.lb.examples.OkHttpQuickStart
 * </pre>
 */
public final class OkHttpQuickStart {
  private OkHttpQuickStart() {}

  /**
   * Runs the quick start and prints what happened.
   *
   * @param args ignored
   * @throws IOException if a local server cannot start or a call fails
   */
  public static void main(String[] args) throws IOException {
    List<HttpServer> servers = new ArrayList<>();
    try {
      Endpoint api1 = start(servers, "api-1");
      Endpoint api2 = start(servers, "api-2");
      Endpoint stableWeb = start(servers, "web-stable");
      Endpoint canaryWeb = start(servers, "web-canary");

      // 1. One lb-core balancer per endpoint group.
      LoadBalancer api =
          LoadBalancer.builder()
              .name("api")
              .strategy(Strategies.peakEwma())
              .endpoints(List.of(api1, api2))
              .build();
      LoadBalancer stable =
          LoadBalancer.builder().name("web-stable").endpoints(List.of(stableWeb)).build();
      LoadBalancer canary =
          LoadBalancer.builder().name("web-canary").endpoints(List.of(canaryWeb)).build();

      // 2. A logical service "shop": /api/* to the API servers, the rest split 95/5, per user.
      LoadBalancingInterceptor lb =
          LoadBalancingInterceptor.builder()
              .service(
                  Service.builder("shop")
                      .route(Route.pathPrefix("/api/", api))
                      .defaultTarget(
                          TrafficSplit.builder()
                              .arm("stable", stable, 95)
                              .arm("canary", canary, 5)
                              .build())
                      .keyExtractor(KeyExtractor.header("X-User"))
                      .attemptTimeout(Duration.ofSeconds(2))
                      .build())
              .build();

      // 3. An OkHttpClient with the interceptor; call the logical host.
      OkHttpClient client = lb.newClient();
      for (int i = 0; i < 6; i++) {
        String path = i % 2 == 0 ? "/api/orders" : "/index.html";
        Request request =
            new Request.Builder().url("http://shop" + path).header("X-User", "user-" + i).build();
        try (Response response = client.newCall(request).execute()) {
          System.out.println(path + " -> " + response.body().string());
        }
      }
      System.out.println(api.stats().toTable());
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    } finally {
      servers.forEach(s -> s.stop(0));
    }
  }

  private static Endpoint start(List<HttpServer> servers, String name) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    byte[] body = name.getBytes(StandardCharsets.UTF_8);
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    servers.add(server);
    InetSocketAddress address = server.getAddress();
    return Endpoint.builder(address.getAddress().getHostAddress(), address.getPort())
        .id(name)
        .build();
  }
}

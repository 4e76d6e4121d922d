package dev.lb.examples.spring;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The example's "users" servers: JDK HTTP servers on 127.0.0.1, on free ports, each answering its
 * name, or 503 when it is the broken one. Not thread-safe to build; the servers themselves are.
 */
final class ExampleBackends implements AutoCloseable {
  /** One server. */
  static final class Backend {
    final String name;
    final int weight;
    final HttpServer server;
    final AtomicInteger calls = new AtomicInteger();

    Backend(String name, int weight, boolean broken) throws IOException {
      this.name = name;
      this.weight = weight;
      this.server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          exchange -> {
            calls.incrementAndGet();
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(broken ? 503 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
    }

    String address() {
      return "127.0.0.1:" + server.getAddress().getPort();
    }
  }

  final List<Backend> all = new ArrayList<>();

  /** Starts three: a (weight 3), b (weight 1) and c (weight 2), which is broken. */
  static ExampleBackends start() throws IOException {
    ExampleBackends backends = new ExampleBackends();
    try {
      backends.all.add(new Backend("a", 3, false));
      backends.all.add(new Backend("b", 1, false));
      backends.all.add(new Backend("c", 2, true));
    } catch (IOException e) {
      backends.close();
      throw e;
    }
    return backends;
  }

  /** The value of {@code lb.services.users.endpoints} for these servers. */
  String endpointsProperty() {
    List<String> endpoints = new ArrayList<>();
    for (Backend b : all) {
      endpoints.add(b.address() + ";weight=" + b.weight);
    }
    return String.join(",", endpoints);
  }

  @Override
  public void close() {
    all.forEach(b -> b.server.stop(0));
  }
}

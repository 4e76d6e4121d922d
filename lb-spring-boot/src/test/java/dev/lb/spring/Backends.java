package dev.lb.spring;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Real HTTP servers on 127.0.0.1, ephemeral ports; each answers its name, or 500 when failing. */
final class Backends implements AutoCloseable {
  /** One server: its port and how many requests it got. */
  static final class Backend {
    final String name;
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();

    Backend(String name, boolean failing) throws IOException {
      this.name = name;
      this.server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          exchange -> {
            hits.incrementAndGet();
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(failing ? 500 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    String address() {
      return "127.0.0.1:" + port();
    }
  }

  private final List<Backend> all = new ArrayList<>();

  Backend start(String name, boolean failing) throws IOException {
    Backend backend = new Backend(name, failing);
    all.add(backend);
    return backend;
  }

  @Override
  public void close() {
    all.forEach(b -> b.server.stop(0));
    all.clear();
  }
}

package dev.lb.xds;

import com.sun.net.httpserver.HttpServer;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real backends on 127.0.0.1, each answering its own name: HTTP servers (the JDK's) and gRPC
 * servers (Netty) with one unary method {@code lb.test.Who/Name}. Stopped by {@link #close()}.
 */
final class Backends {
  /** Strings as UTF-8 bytes: a marshaller without protobuf. */
  static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final MethodDescriptor<String, String> NAME =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("lb.test.Who/Name")
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  private final List<HttpServer> http = new ArrayList<>();
  private final List<Server> grpc = new ArrayList<>();

  /** Starts an HTTP backend answering {@code name} on every path; returns its port. */
  int http(String name) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    s.createContext(
        "/",
        exchange -> {
          byte[] body = name.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    s.start();
    http.add(s);
    return s.getAddress().getPort();
  }

  /** Starts a gRPC backend answering {@code name}; returns its port. */
  int grpc(String name) throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("lb.test.Who")
            .addMethod(
                NAME,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext(name);
                      response.onCompleted();
                    }))
            .build();
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(service)
            .build()
            .start();
    grpc.add(s);
    return s.getPort();
  }

  void close() throws InterruptedException {
    for (HttpServer s : http) {
      s.stop(0);
    }
    for (Server s : grpc) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}

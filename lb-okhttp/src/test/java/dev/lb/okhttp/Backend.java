package dev.lb.okhttp;

import dev.lb.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ServerSocketFactory;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Protocol;

/**
 * One real HTTP backend on 127.0.0.1 for the adapter's tests: a MockWebServer that counts the
 * requests it received (by method and path) and answers as the test tells it. It can be killed and
 * brought back on the same port.
 */
final class Backend implements AutoCloseable {
  private final String name;
  private final AtomicInteger requests = new AtomicInteger();
  private final Map<String, AtomicInteger> byMethod = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> byPath = new ConcurrentHashMap<>();
  private volatile Function<RecordedRequest, MockResponse> behaviour;
  private volatile MockWebServer server;
  private final int port;
  private volatile javax.net.ssl.@org.jspecify.annotations.Nullable SSLSocketFactory
      sslSocketFactory;
  private volatile boolean h2PriorKnowledge;
  private volatile List<String> serverNames = List.of();
  private volatile @org.jspecify.annotations.Nullable MockResponse peeked;

  private Backend(String name) throws IOException {
    this.name = name;
    this.behaviour = r -> ok(name);
    this.server = newServer(0);
    this.port = server.getPort();
  }

  /** 127.0.0.1, by address: tests never depend on name resolution. */
  static InetAddress loopback() throws IOException {
    return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
  }

  static Backend start(String name) throws IOException {
    return new Backend(name);
  }

  static MockResponse ok(String body) {
    return new MockResponse.Builder().code(200).body(body).build();
  }

  static MockResponse status(int code) {
    return new MockResponse.Builder().code(code).body("status " + code).build();
  }

  private MockWebServer newServer(int onPort) throws IOException {
    MockWebServer s = new MockWebServer();
    s.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.incrementAndGet();
            serverNames = List.copyOf(request.getHandshakeServerNames());
            byMethod
                .computeIfAbsent(request.getMethod(), m -> new AtomicInteger())
                .incrementAndGet();
            byPath
                .computeIfAbsent(request.getUrl().encodedPath(), m -> new AtomicInteger())
                .incrementAndGet();
            return behaviour.apply(request);
          }

          @Override
          public MockResponse peek() {
            MockResponse p = peeked;
            return p != null ? p : super.peek();
          }
        });
    s.setServerSocketFactory(new NoDelayServerSocketFactory());
    javax.net.ssl.SSLSocketFactory ssl = sslSocketFactory;
    if (ssl != null) {
      s.useHttps(ssl);
    }
    if (h2PriorKnowledge) {
      s.setProtocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE));
    }
    s.start(loopback(), onPort);
    return s;
  }

  /** Serves HTTPS from now on (restarting on the same port). */
  void useHttps(javax.net.ssl.SSLSocketFactory factory) throws IOException {
    server.close();
    this.sslSocketFactory = factory;
    server = newServer(port);
  }

  /** Speaks cleartext HTTP/2 only, without upgrade (restarting on the same port). */
  void useH2PriorKnowledge() throws IOException {
    server.close();
    this.h2PriorKnowledge = true;
    server = newServer(port);
  }

  /**
   * Sets the response MockWebServer peeks at before it reads a request; its HTTP/2 socket effects
   * (a stream reset, say) apply to every request from then on.
   */
  void peekEffects(MockResponse response) {
    this.peeked = response;
  }

  Backend answer(Function<RecordedRequest, MockResponse> behaviour) {
    this.behaviour = behaviour;
    return this;
  }

  Endpoint endpoint() {
    return Endpoint.builder("127.0.0.1", port).id(name).build();
  }

  String name() {
    return name;
  }

  int port() {
    return port;
  }

  /** The SNI server names of the TLS handshake that carried the last request. */
  List<String> serverNames() {
    return serverNames;
  }

  int requests() {
    return requests.get();
  }

  int requests(String method) {
    AtomicInteger n = byMethod.get(method);
    return n == null ? 0 : n.get();
  }

  int requestsTo(String path) {
    AtomicInteger n = byPath.get(path);
    return n == null ? 0 : n.get();
  }

  /** Stops listening and drops every connection, as a crashed process would. */
  void kill() {
    server.close();
  }

  /** Listens again on the same port. */
  void revive() throws IOException {
    server = newServer(port);
  }

  @Override
  public void close() {
    server.close();
  }

  /**
   * Turns Nagle's algorithm off on accepted connections: MockWebServer writes headers and body
   * separately, and Nagle plus the client's delayed ACK would add 40 ms to every call.
   */
  private static final class NoDelayServerSocketFactory extends ServerSocketFactory {
    @Override
    public ServerSocket createServerSocket() throws IOException {
      return new ServerSocket() {
        @Override
        public Socket accept() throws IOException {
          Socket socket = super.accept();
          socket.setTcpNoDelay(true);
          return socket;
        }
      };
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      throw new UnsupportedOperationException();
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
      throw new UnsupportedOperationException();
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress address)
        throws IOException {
      throw new UnsupportedOperationException();
    }
  }
}

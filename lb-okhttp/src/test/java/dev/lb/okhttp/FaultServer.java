package dev.lb.okhttp;

import dev.lb.Endpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw HTTP/1.1 server on 127.0.0.1 for fault injection that MockWebServer cannot stage exactly:
 * it reads each request whole (headers and {@code Content-Length} body), counts it, and then does
 * what the test's {@link Script} says, such as dropping a reused keep-alive connection without a
 * byte of answer. Counting happens after the whole request was read, so the counts are what a real
 * server would have processed.
 *
 * <p>One thread per connection; every socket is closed by {@link #close()}. It never sleeps except
 * in {@link Fault#DRIP}, whose whole point is pacing.
 */
final class FaultServer implements AutoCloseable {
  /** What the server does with one request, once it has read it whole. */
  enum Fault {
    /** 200 with the server's name as body, connection kept alive. */
    OK,
    /**
     * 200 without {@code Connection: close}, then closes the connection at once, as a server whose
     * keep-alive timeout ran out does: the client's pool still holds it.
     */
    OK_THEN_CLOSE,
    /** Closes the connection without answering: the request was received, the answer is lost. */
    DROP,
    /** 408 Request Timeout with {@code Connection: close}, as HAProxy sends. */
    STATUS_408,
    /** 503 with {@code Retry-After: 0}, connection kept alive. */
    STATUS_503_RETRY_AFTER_0,
    /** Sends 200 headers for a 1000-byte body, 10 bytes of it, then resets the connection. */
    RESET_AFTER_HEADERS,
    /** Sends 200 headers for a 1000-byte body, 10 bytes of it, then closes the connection. */
    TRUNCATE_BODY,
    /** Sends 200 headers for a 100-byte body, then one byte every 50 ms. */
    DRIP,
    /** Sends the status line, then one byte of a header every 50 ms, never finishing. */
    DRIP_HEADERS,
    /** Sends nothing and holds the connection until the client goes away. */
    STALL
  }

  /** Chooses the fault for a request from its method, path and its index on its connection. */
  @FunctionalInterface
  interface Script {
    Fault next(String method, String path, int indexOnConnection);
  }

  private final String name;
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> byMethod = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
  private volatile Script script;

  private FaultServer(String name, Script script) throws IOException {
    this.name = name;
    this.script = script;
    this.server = new ServerSocket(0, 50, Backend.loopback());
    Thread acceptor = new Thread(this::acceptLoop, "fault-server-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static FaultServer start(String name, Script script) throws IOException {
    return new FaultServer(name, script);
  }

  /** Every request gets the same fault. */
  static FaultServer always(String name, Fault fault) throws IOException {
    return start(name, (m, p, i) -> fault);
  }

  void script(Script s) {
    this.script = s;
  }

  Endpoint endpoint() {
    return Endpoint.builder("127.0.0.1", server.getLocalPort()).id(name).build();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Requests read whole with this method. */
  int requests(String method) {
    AtomicInteger n = byMethod.get(method);
    return n == null ? 0 : n.get();
  }

  int requests() {
    return byMethod.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  int connections() {
    return connections.get();
  }

  /** The headers of every request read, in order; names in lower case. */
  List<Map<String, String>> headers() {
    return headers;
  }

  private void acceptLoop() {
    try {
      while (true) {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        sockets.add(s);
        connections.incrementAndGet();
        Thread t = new Thread(() -> serve(s), "fault-conn-" + name);
        t.setDaemon(true);
        t.start();
      }
    } catch (IOException closed) {
      // the server was closed
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      for (int index = 0; ; index++) {
        String head = readHead(in);
        if (head == null) {
          return; // the client closed its side
        }
        String[] lines = head.split("\r\n", -1);
        String[] requestLine = lines[0].split(" ", -1);
        Map<String, String> h = new ConcurrentHashMap<>();
        for (int i = 1; i < lines.length; i++) {
          int colon = lines[i].indexOf(':');
          if (colon > 0) {
            h.put(
                lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                lines[i].substring(colon + 1).trim());
          }
        }
        long length = Long.parseLong(h.getOrDefault("content-length", "0"));
        for (long read = 0; read < length; read++) {
          if (in.read() < 0) {
            return; // the body never came whole: not a request
          }
        }
        headers.add(h);
        byMethod.computeIfAbsent(requestLine[0], m -> new AtomicInteger()).incrementAndGet();
        Fault fault = script.next(requestLine[0], requestLine[1], index);
        if (!answer(fault, socket, in, out)) {
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // the client went away or the test closed the server
    }
  }

  /** Returns true if the connection stays open for another request. */
  private boolean answer(Fault fault, Socket socket, InputStream in, OutputStream out)
      throws IOException, InterruptedException {
    switch (fault) {
      case OK -> {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + name.length() + "\r\n\r\n" + name);
        return true;
      }
      case OK_THEN_CLOSE -> {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + name.length() + "\r\n\r\n" + name);
        out.flush();
        return false;
      }
      case DROP -> {
        return false;
      }
      case STATUS_408 -> {
        write(
            out, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return false;
      }
      case STATUS_503_RETRY_AFTER_0 -> {
        write(
            out,
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 3\r\n\r\n503");
        return true;
      }
      case RESET_AFTER_HEADERS -> {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
        socket.setSoLinger(true, 0); // close sends RST
        return false;
      }
      case TRUNCATE_BODY -> {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
        return false;
      }
      case DRIP -> {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for (int i = 0; i < 100; i++) {
          Thread.sleep(50);
          write(out, "d");
        }
        return true;
      }
      case DRIP_HEADERS -> {
        write(out, "HTTP/1.1 200 OK\r\nX-Drip: ");
        for (int i = 0; i < 200; i++) {
          Thread.sleep(50);
          write(out, "d");
        }
        return false;
      }
      case STALL -> {
        while (in.read() >= 0) {
          // hold the connection until the client closes it
        }
        return false;
      }
    }
    throw new AssertionError(fault);
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Reads up to the blank line; null if the connection ended before a request started. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b;
      try {
        b = in.read();
      } catch (SocketException reset) {
        return null;
      }
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = (b == '\r' || b == '\n') && (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : 0;
      if (matched == 0 && b == '\r') {
        matched = 1;
      }
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}

package dev.lb.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A raw HTTP/1.1 server on 127.0.0.1 that answers every request (headers only, up to the blank
 * line) with the same 2-byte response over a kept-alive connection: the fastest endpoint there can
 * be, so that a client benchmark measures the client. A thread per connection; daemon threads.
 */
final class LoopbackHttpServer implements AutoCloseable {
  private static final byte[] RESPONSE =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);

  private final ServerSocket server;

  LoopbackHttpServer() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    Thread acceptor = new Thread(this::accept, "bench-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    try {
      while (true) {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        Thread t = new Thread(() -> serve(s), "bench-conn");
        t.setDaemon(true);
        t.start();
      }
    } catch (IOException closed) {
      // the benchmark is over
    }
  }

  private static void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      byte[] buf = new byte[8192];
      int matched = 0;
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          return;
        }
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
          if (matched == 4) {
            out.write(RESPONSE);
            out.flush();
            matched = 0;
          }
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}

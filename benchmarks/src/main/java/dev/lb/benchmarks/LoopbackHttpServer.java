package dev.lb.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * A raw HTTP/1.1 server on 127.0.0.1 that answers every request (headers only, up to the blank
 * line) with the same 2-byte response over a kept-alive connection: the fastest endpoint there can
 * be, so that a client benchmark measures the client.
 *
 * <p>One thread serves every connection (a selector), so that clients compared side by side, each
 * on connections of its own, meet the same server thread: with a thread per connection, a busy
 * machine would schedule one client's server thread worse than another's for seconds at a time, and
 * that, not the client, would show in the comparison. Daemon thread.
 */
final class LoopbackHttpServer implements AutoCloseable {
  private static final byte[] RESPONSE =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] END = "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private final ServerSocketChannel server;
  private final Selector selector;

  /** Per connection: how much of the blank line that ends a request head has been seen. */
  private static final class Conn {
    int matched;
  }

  LoopbackHttpServer() throws IOException {
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 50);
    server.configureBlocking(false);
    selector = Selector.open();
    server.register(selector, SelectionKey.OP_ACCEPT);
    Thread t = new Thread(this::loop, "bench-server");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.socket().getLocalPort();
  }

  private void loop() {
    ByteBuffer in = ByteBuffer.allocateDirect(8192);
    ByteBuffer out = ByteBuffer.allocateDirect(RESPONSE.length * 64);
    try {
      while (selector.isOpen()) {
        selector.select();
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            SocketChannel c = server.accept();
            if (c != null) {
              c.configureBlocking(false);
              c.setOption(StandardSocketOptions.TCP_NODELAY, true);
              c.register(selector, SelectionKey.OP_READ, new Conn());
            }
          } else if (key.isReadable()) {
            serve(key, in, out);
          }
        }
      }
    } catch (IOException | java.nio.channels.ClosedSelectorException closed) {
      // the benchmark is over
    }
  }

  private static void serve(SelectionKey key, ByteBuffer in, ByteBuffer out) {
    SocketChannel c = (SocketChannel) key.channel();
    Conn conn = (Conn) key.attachment();
    try {
      in.clear();
      int n = c.read(in);
      if (n < 0) {
        key.cancel();
        c.close();
        return;
      }
      in.flip();
      out.clear();
      while (in.hasRemaining()) {
        byte b = in.get();
        conn.matched = b == END[conn.matched] ? conn.matched + 1 : (b == '\r' ? 1 : 0);
        if (conn.matched == 4) {
          out.put(RESPONSE); // the requests are small and answered in order: never more than 64
          conn.matched = 0;
        }
      }
      out.flip();
      while (out.hasRemaining()) {
        c.write(
            out); // a 2-byte answer fits any socket buffer; the loop is for the rare short write
      }
    } catch (IOException e) {
      key.cancel();
      try {
        c.close();
      } catch (IOException ignored) {
        // the client went away
      }
    }
  }

  @Override
  public void close() throws IOException {
    selector.close();
    server.close();
  }
}

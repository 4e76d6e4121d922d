package dev.lb.discovery;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A DNS stub resolver over the wire protocol (RFC 1035): one query per call, sent over UDP to each
 * server in turn (retried with a doubling timeout), and again over TCP if the answer came back
 * truncated. It reads the TTLs that the JNDI provider hides: an answer's TTL is the least of its
 * records' (the CNAMEs that led to them included); a negative answer's is the least of the SOA
 * record's TTL and its MINIMUM field (RFC 2308), when the server sends the SOA.
 *
 * <p>Answers are checked before they are believed: the ID and the question must match the query,
 * names may only point backwards (so a compression loop ends), and every length must fit in the
 * message; anything else is an {@link IOException} naming what was wrong, so a malformed or forged
 * answer never becomes endpoints. Thread-safe: each query has its own socket.
 */
final class WireDnsResolver implements DnsResolver {
  static final int CLASS_IN = 1;
  static final int TYPE_A = 1;
  static final int TYPE_CNAME = 5;
  static final int TYPE_SOA = 6;
  static final int TYPE_AAAA = 28;
  static final int TYPE_SRV = 33;
  private static final int RCODE_NXDOMAIN = 3;
  private static final int MAX_UDP = 4096;

  private final List<InetSocketAddress> servers;
  private final int timeoutMillis;
  private final int retries;
  private final Random ids = new SecureRandom();

  WireDnsResolver(List<String> servers, Duration timeout, int retries) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive but was " + timeout);
    }
    if (retries < 0) {
      throw new IllegalArgumentException("retries must be 0 or more but was " + retries);
    }
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("servers must not be empty");
    }
    List<InetSocketAddress> parsed = new ArrayList<>();
    for (String s : servers) {
      parsed.add(address(s));
    }
    this.servers = List.copyOf(parsed);
    this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    this.retries = retries;
  }

  /** {@code 10.0.0.1:53}, {@code [2001:db8::1]:53} or {@code dns.internal:53}. */
  private static InetSocketAddress address(String hostAndPort) {
    String s = hostAndPort.strip();
    int colon = s.lastIndexOf(':');
    String host = colon > 0 ? s.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      port = -1;
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new IllegalArgumentException(
          "DNS server must be host:port such as 10.0.0.2:53 but was '" + hostAndPort + "'");
    }
    try {
      // An IP literal needs no lookup; a server given by name is looked up once, here.
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "DNS server '" + hostAndPort + "' is not an address: " + e.getMessage(), e);
    }
  }

  List<InetSocketAddress> servers() {
    return servers;
  }

  @Override
  public DnsAnswer query(String name, String type) throws IOException {
    int qtype = typeCode(type);
    IOException last = null;
    for (InetSocketAddress server : servers) {
      int timeout = timeoutMillis;
      for (int attempt = 0; attempt <= retries; attempt++) {
        int id = ids.nextInt(1 << 16);
        byte[] query = DnsMessages.query(id, name, qtype);
        try {
          byte[] response = udp(server, query, id, timeout);
          if (DnsMessages.truncated(response)) {
            response = tcp(server, query, timeout);
          }
          return DnsMessages.parse(response, id, name, qtype);
        } catch (SocketTimeoutException e) {
          last = new IOException("no answer from DNS server " + server + " in " + timeout + " ms");
          timeout = (int) Math.min(Integer.MAX_VALUE, 2L * timeout);
        } catch (DnsMessages.ServerFailure e) {
          last = e; // SERVFAIL, REFUSED...: the next server may know better
          break;
        } catch (IOException e) {
          last = new IOException("DNS server " + server + ": " + e.getMessage(), e);
          break;
        }
      }
    }
    throw new IOException(
        "DNS query " + type + " " + name + " failed: " + (last == null ? "" : last.getMessage()),
        last);
  }

  static int typeCode(String type) {
    return switch (type.toUpperCase(Locale.ROOT)) {
      case "A" -> TYPE_A;
      case "AAAA" -> TYPE_AAAA;
      case "SRV" -> TYPE_SRV;
      default ->
          throw new IllegalArgumentException("type must be A, AAAA or SRV but was '" + type + "'");
    };
  }

  /** Sends the query and waits for the response with its ID, ignoring others (late, forged). */
  private static byte[] udp(InetSocketAddress server, byte[] query, int id, int timeoutMillis)
      throws IOException {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.connect(server); // only the server's datagrams are received
      socket.setSoTimeout(timeoutMillis);
      socket.send(new DatagramPacket(query, query.length));
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
      byte[] buffer = new byte[MAX_UDP];
      while (true) {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.receive(packet);
        if (packet.getLength() >= 2 && ((buffer[0] & 0xff) << 8 | (buffer[1] & 0xff)) == id) {
          byte[] response = new byte[packet.getLength()];
          System.arraycopy(buffer, 0, response, 0, response.length);
          return response;
        }
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          throw new SocketTimeoutException("no answer with id " + id);
        }
        socket.setSoTimeout((int) left);
      }
    }
  }

  /** The query again over TCP (RFC 7766): each message with a two-byte length in front. */
  private static byte[] tcp(InetSocketAddress server, byte[] query, int timeoutMillis)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(server, timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      OutputStream out = socket.getOutputStream();
      byte[] framed = new byte[query.length + 2];
      framed[0] = (byte) (query.length >>> 8);
      framed[1] = (byte) query.length;
      System.arraycopy(query, 0, framed, 2, query.length);
      out.write(framed);
      out.flush();
      InputStream in = socket.getInputStream();
      DataInputStream data = new DataInputStream(in);
      int length = data.readUnsignedShort();
      byte[] response = new byte[length];
      data.readFully(response);
      return response;
    }
  }

  @Override
  public String toString() {
    return "WireDnsResolver" + servers;
  }

  /** Building queries and reading responses; pure functions over byte arrays, for unit tests. */
  static final class DnsMessages {
    private DnsMessages() {}

    /** A server's RCODE that says it could not answer (not NXDOMAIN). */
    static final class ServerFailure extends IOException {
      private static final long serialVersionUID = 1L;

      ServerFailure(String message) {
        super(message);
      }
    }

    /** A standard query with recursion desired, for one name, type and class IN. */
    static byte[] query(int id, String name, int type) {
      byte[] qname = encodeName(name);
      byte[] m = new byte[12 + qname.length + 4];
      m[0] = (byte) (id >>> 8);
      m[1] = (byte) id;
      m[2] = 0x01; // RD
      m[5] = 1; // QDCOUNT
      System.arraycopy(qname, 0, m, 12, qname.length);
      int p = 12 + qname.length;
      m[p] = (byte) (type >>> 8);
      m[p + 1] = (byte) type;
      m[p + 3] = CLASS_IN;
      return m;
    }

    static byte[] encodeName(String name) {
      String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
      byte[] ascii = n.getBytes(StandardCharsets.US_ASCII);
      if (ascii.length > 253) {
        throw new IllegalArgumentException("DNS name longer than 253 characters: " + name);
      }
      byte[] out = new byte[ascii.length + 2];
      int o = 0;
      int start = 0;
      for (int i = 0; i <= ascii.length; i++) {
        if (i == ascii.length || ascii[i] == '.') {
          int len = i - start;
          if (len == 0 && ascii.length > 0) {
            throw new IllegalArgumentException("DNS name has an empty label: " + name);
          }
          if (len > 63) {
            throw new IllegalArgumentException("DNS label longer than 63 characters: " + name);
          }
          if (len > 0) {
            out[o++] = (byte) len;
            System.arraycopy(ascii, start, out, o, len);
            o += len;
          }
          start = i + 1;
        }
      }
      out[o++] = 0;
      byte[] exact = new byte[o];
      System.arraycopy(out, 0, exact, 0, o);
      return exact;
    }

    static boolean truncated(byte[] m) {
      return m.length >= 3 && (m[2] & 0x02) != 0;
    }

    /**
     * Reads the response to the query {@code id} for {@code name} and {@code type}.
     *
     * @throws ServerFailure if the server's RCODE says it failed (SERVFAIL, REFUSED...)
     * @throws IOException if the response is malformed or not the answer to this query
     */
    static DnsAnswer parse(byte[] m, int id, String name, int type) throws IOException {
      Reader r = new Reader(m);
      if (m.length < 12) {
        throw new IOException("DNS response shorter than its header (" + m.length + " bytes)");
      }
      int gotId = r.u16();
      int flags = r.u16();
      int qd = r.u16();
      int an = r.u16();
      int ns = r.u16();
      r.u16(); // additional records: not needed
      if (gotId != id || (flags & 0x8000) == 0) {
        throw new IOException("DNS response is not the answer to query " + id);
      }
      int rcode = flags & 0x000f;
      if (qd != 1) {
        throw new IOException("DNS response has " + qd + " questions, not 1");
      }
      String qname = r.name();
      int qtype = r.u16();
      r.u16(); // class
      String expected = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
      if (!qname.equalsIgnoreCase(expected) || qtype != type) {
        throw new IOException("DNS response is for " + qname + ", not " + expected);
      }
      if (rcode != 0 && rcode != RCODE_NXDOMAIN) {
        throw new ServerFailure("DNS server answered " + rcodeName(rcode) + " for " + expected);
      }
      List<String> records = new ArrayList<>();
      long ttl = Long.MAX_VALUE;
      for (int i = 0; i < an; i++) {
        r.name(); // owner: the name or a CNAME's target, as the server followed the chain
        int rtype = r.u16();
        int rclass = r.u16();
        long rttl = r.u32();
        int length = r.u16();
        int end = r.position() + length;
        r.require(length);
        if (rclass == CLASS_IN && (rtype == type || rtype == TYPE_CNAME)) {
          ttl = Math.min(ttl, rttl);
          if (rtype == type) {
            records.add(rdata(r, type, length));
          }
        }
        r.seek(end);
      }
      long negativeTtl = -1;
      if (records.isEmpty()) {
        for (int i = 0; i < ns; i++) {
          r.name();
          int rtype = r.u16();
          r.u16();
          long rttl = r.u32();
          int length = r.u16();
          int end = r.position() + length;
          r.require(length);
          if (rtype == TYPE_SOA) {
            r.name(); // MNAME
            r.name(); // RNAME
            r.u32(); // serial
            r.u32(); // refresh
            r.u32(); // retry
            r.u32(); // expire
            long minimum = r.u32();
            negativeTtl = Math.min(rttl, minimum);
          }
          r.seek(end);
        }
      }
      if (rcode == RCODE_NXDOMAIN) {
        return DnsAnswer.noSuchName(negativeTtl >= 0 ? Duration.ofSeconds(negativeTtl) : null);
      }
      if (records.isEmpty()) {
        return DnsAnswer.of(List.of(), negativeTtl >= 0 ? Duration.ofSeconds(negativeTtl) : null);
      }
      return DnsAnswer.of(records, Duration.ofSeconds(ttl));
    }

    private static String rdata(Reader r, int type, int length) throws IOException {
      switch (type) {
        case TYPE_A, TYPE_AAAA -> {
          int size = type == TYPE_A ? 4 : 16;
          if (length != size) {
            throw new IOException("DNS address record of " + length + " bytes, not " + size);
          }
          byte[] address = r.bytes(size);
          return type == TYPE_A
              ? InetAddress.getByAddress(address).getHostAddress()
              : ipv6Text(address);
        }
        case TYPE_SRV -> {
          int priority = r.u16();
          int weight = r.u16();
          int port = r.u16();
          String target = r.name();
          return priority + " " + weight + " " + port + " " + target + ".";
        }
        default -> throw new IllegalStateException("type " + type);
      }
    }

    /**
     * An IPv6 address in its canonical text (RFC 5952: lower-case hex, no leading zeros, the
     * longest run of two or more zero groups, the first of equals, as {@code ::}), as the JNDI
     * provider and endpoint ids write it, where {@link InetAddress#getHostAddress} writes every
     * group.
     */
    static String ipv6Text(byte[] a) {
      int[] groups = new int[8];
      for (int i = 0; i < 8; i++) {
        groups[i] = (a[2 * i] & 0xff) << 8 | (a[2 * i + 1] & 0xff);
      }
      int bestStart = -1;
      int bestLength = 1;
      for (int i = 0; i < 8; ) {
        if (groups[i] != 0) {
          i++;
          continue;
        }
        int j = i;
        while (j < 8 && groups[j] == 0) {
          j++;
        }
        if (j - i > bestLength) {
          bestStart = i;
          bestLength = j - i;
        }
        i = j;
      }
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 8; i++) {
        if (i == bestStart) {
          sb.append("::");
          i += bestLength - 1;
          continue;
        }
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
          sb.append(':');
        }
        sb.append(Integer.toHexString(groups[i]));
      }
      return sb.toString();
    }

    private static String rcodeName(int rcode) {
      return switch (rcode) {
        case 1 -> "FORMERR";
        case 2 -> "SERVFAIL";
        case 4 -> "NOTIMP";
        case 5 -> "REFUSED";
        default -> "RCODE " + rcode;
      };
    }
  }

  /** A bounds-checked cursor over a message. */
  private static final class Reader {
    private final byte[] m;
    private int p;

    Reader(byte[] m) {
      this.m = m;
    }

    int position() {
      return p;
    }

    void seek(int position) {
      p = position;
    }

    void require(int n) throws IOException {
      if (n < 0 || p + n > m.length) {
        throw new IOException("DNS response cut short at byte " + p);
      }
    }

    int u16() throws IOException {
      require(2);
      int v = (m[p] & 0xff) << 8 | (m[p + 1] & 0xff);
      p += 2;
      return v;
    }

    long u32() throws IOException {
      require(4);
      long v =
          (long) (m[p] & 0xff) << 24
              | (m[p + 1] & 0xff) << 16
              | (m[p + 2] & 0xff) << 8
              | (m[p + 3] & 0xff);
      p += 4;
      return v;
    }

    byte[] bytes(int n) throws IOException {
      require(n);
      byte[] b = new byte[n];
      System.arraycopy(m, p, b, 0, n);
      p += n;
      return b;
    }

    /** A possibly compressed name; pointers may only point backwards, so every chain ends. */
    String name() throws IOException {
      StringBuilder sb = new StringBuilder();
      int at = p;
      int resume = -1;
      int limit = at; // a pointer must go before where the name being read started
      while (true) {
        if (at >= m.length) {
          throw new IOException("DNS name runs past the end of the response");
        }
        int len = m[at] & 0xff;
        if ((len & 0xc0) == 0xc0) {
          if (at + 1 >= m.length) {
            throw new IOException("DNS name pointer cut short");
          }
          int target = (len & 0x3f) << 8 | (m[at + 1] & 0xff);
          if (target >= limit) {
            throw new IOException("DNS name pointer does not point backwards: a loop");
          }
          if (resume < 0) {
            resume = at + 2;
          }
          limit = target;
          at = target;
          continue;
        }
        if ((len & 0xc0) != 0) {
          throw new IOException("DNS name has a reserved label type");
        }
        if (len == 0) {
          p = resume >= 0 ? resume : at + 1;
          return sb.toString();
        }
        if (at + 1 + len > m.length) {
          throw new IOException("DNS label runs past the end of the response");
        }
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(new String(m, at + 1, len, StandardCharsets.US_ASCII));
        if (sb.length() > 255) {
          throw new IOException("DNS name longer than 255 characters");
        }
        at += 1 + len;
      }
    }
  }
}

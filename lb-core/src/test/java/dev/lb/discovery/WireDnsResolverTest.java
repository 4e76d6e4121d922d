package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.discovery.WireDnsResolver.DnsMessages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The wire resolver's reading of DNS messages (RFC 1035, 2308, 2782, 5952), on responses built byte
 * by byte: TTLs, compression, CNAME chains, negative answers, and every malformed or foreign answer
 * refused. {@code DnsmasqIntegrationTest} runs it against a real server.
 */
class WireDnsResolverTest {
  private static final int ID = 0x1234;

  /** A response under construction: header, the question, then records. */
  private static final class Response {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int an;
    private int ns;
    private final int flags;
    private final byte[] question;

    Response(String name, int type, int rcode) {
      this.flags = 0x8180 | rcode; // QR, RD, RA
      ByteArrayOutputStream q = new ByteArrayOutputStream();
      writeBytes(q, DnsMessages.encodeName(name));
      u16(q, type);
      u16(q, 1);
      this.question = q.toByteArray();
    }

    Response answer(byte[] owner, int type, long ttl, byte[] rdata) {
      an++;
      record(owner, type, ttl, rdata);
      return this;
    }

    Response authority(byte[] owner, int type, long ttl, byte[] rdata) {
      ns++;
      record(owner, type, ttl, rdata);
      return this;
    }

    private void record(byte[] owner, int type, long ttl, byte[] rdata) {
      writeBytes(out, owner);
      u16(out, type);
      u16(out, 1);
      u16(out, (int) (ttl >>> 16));
      u16(out, (int) ttl);
      u16(out, rdata.length);
      writeBytes(out, rdata);
    }

    byte[] bytes(int id) {
      ByteArrayOutputStream m = new ByteArrayOutputStream();
      u16(m, id);
      u16(m, flags);
      u16(m, 1);
      u16(m, an);
      u16(m, ns);
      u16(m, 0);
      writeBytes(m, question);
      writeBytes(m, out.toByteArray());
      return m.toByteArray();
    }
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  private static void writeBytes(ByteArrayOutputStream out, byte[] b) {
    out.write(b, 0, b.length);
  }

  /** A pointer to the question's name, which starts at byte 12. */
  private static final byte[] AT_QUESTION = {(byte) 0xc0, 12};

  private static byte[] ipv4(String ip) throws IOException {
    return literal(ip);
  }

  /** The bytes of an IP literal (no lookup: a literal is parsed). */
  private static byte[] literal(String ip) throws IOException {
    return InetAddress.getAllByName(ip)[0].getAddress();
  }

  private static byte[] srv(int priority, int weight, int port, String target) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    u16(b, priority);
    u16(b, weight);
    u16(b, port);
    writeBytes(b, DnsMessages.encodeName(target));
    return b.toByteArray();
  }

  private static byte[] soa(long minimum) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    writeBytes(b, DnsMessages.encodeName("ns.test"));
    writeBytes(b, DnsMessages.encodeName("admin.test"));
    for (long v : new long[] {1, 3600, 600, 86400, minimum}) {
      u16(b, (int) (v >>> 16));
      u16(b, (int) v);
    }
    return b.toByteArray();
  }

  @Test
  void cnameChain_answerTtlIsTheLeastOfTheChain_recordsOfTheTypeOnly() throws IOException {
    byte[] alias = DnsMessages.encodeName("real.test");
    byte[] m =
        new Response("api.test", WireDnsResolver.TYPE_A, 0)
            .answer(AT_QUESTION, WireDnsResolver.TYPE_CNAME, 20, alias)
            .answer(alias, WireDnsResolver.TYPE_A, 300, ipv4("10.0.0.1"))
            .answer(alias, WireDnsResolver.TYPE_A, 60, ipv4("10.0.0.2"))
            .bytes(ID);

    DnsAnswer answer = DnsMessages.parse(m, ID, "api.test", WireDnsResolver.TYPE_A);

    assertThat(answer.nameExists()).isTrue();
    assertThat(answer.records()).containsExactly("10.0.0.1", "10.0.0.2");
    assertThat(answer.ttl()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void nxdomain_negativeTtlIsTheLeastOfSoaTtlAndMinimum() throws IOException {
    byte[] m =
        new Response("gone.test", WireDnsResolver.TYPE_A, 3)
            .authority(DnsMessages.encodeName("test"), WireDnsResolver.TYPE_SOA, 900, soa(30))
            .bytes(ID);

    DnsAnswer answer = DnsMessages.parse(m, ID, "gone.test", WireDnsResolver.TYPE_A);

    assertThat(answer.nameExists()).isFalse();
    assertThat(answer.ttl()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void noData_isAnEmptyAnswerForAnExistingName_withoutSoaNoTtl() throws IOException {
    byte[] m = new Response("api.test", WireDnsResolver.TYPE_AAAA, 0).bytes(ID);

    DnsAnswer answer = DnsMessages.parse(m, ID, "api.test", WireDnsResolver.TYPE_AAAA);

    assertThat(answer.nameExists()).isTrue();
    assertThat(answer.records()).isEmpty();
    assertThat(answer.ttl()).isNull();
  }

  @Test
  void srv_inPresentationForm_targetWithTrailingDot() throws IOException {
    byte[] m =
        new Response("_http._tcp.api.test", WireDnsResolver.TYPE_SRV, 0)
            .answer(AT_QUESTION, WireDnsResolver.TYPE_SRV, 5, srv(10, 60, 8080, "a.api.test"))
            .answer(AT_QUESTION, WireDnsResolver.TYPE_SRV, 7, srv(20, 0, 9090, "b.api.test"))
            .bytes(ID);

    DnsAnswer answer = DnsMessages.parse(m, ID, "_http._tcp.api.test", WireDnsResolver.TYPE_SRV);

    assertThat(answer.records()).containsExactly("10 60 8080 a.api.test.", "20 0 9090 b.api.test.");
    assertThat(answer.ttl()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void ipv6_writtenAsEndpointIdsWriteIt() throws IOException {
    assertThat(DnsMessages.ipv6Text(literal("::1"))).isEqualTo("::1");
    assertThat(DnsMessages.ipv6Text(literal("2001:db8:0:0:1:0:0:1")))
        .isEqualTo("2001:db8::1:0:0:1");
    assertThat(DnsMessages.ipv6Text(literal("2001:db8:0:1:1:1:1:1")))
        .as("a single zero group is not shortened")
        .isEqualTo("2001:db8:0:1:1:1:1:1");
    assertThat(DnsMessages.ipv6Text(new byte[16])).isEqualTo("::");
    // Every address round-trips, over seeded random ones with zero runs.
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 2_000; i++) {
      byte[] a = new byte[16];
      for (int g = 0; g < 8; g++) {
        int v = random.nextInt(4) == 0 ? 0 : random.nextInt(1 << 16);
        a[2 * g] = (byte) (v >>> 8);
        a[2 * g + 1] = (byte) v;
      }
      String text = DnsMessages.ipv6Text(a);
      assertThat(literal(text)).as(text).isEqualTo(a);
      assertThat(text)
          .doesNotContain(":::")
          .satisfies(t -> assertThat(t.split("::", -1).length).isLessThanOrEqualTo(2));
    }
  }

  @Test
  void serverFailure_foreignAnswer_andMalformedMessages_areRefused() throws IOException {
    byte[] servfail = new Response("api.test", WireDnsResolver.TYPE_A, 2).bytes(ID);
    assertThatThrownBy(() -> DnsMessages.parse(servfail, ID, "api.test", WireDnsResolver.TYPE_A))
        .isInstanceOf(DnsMessages.ServerFailure.class)
        .hasMessage("DNS server answered SERVFAIL for api.test");

    byte[] ok =
        new Response("api.test", WireDnsResolver.TYPE_A, 0)
            .answer(AT_QUESTION, WireDnsResolver.TYPE_A, 5, ipv4("10.0.0.1"))
            .bytes(ID);
    assertThatThrownBy(() -> DnsMessages.parse(ok, ID + 1, "api.test", WireDnsResolver.TYPE_A))
        .hasMessage("DNS response is not the answer to query " + (ID + 1));
    assertThatThrownBy(() -> DnsMessages.parse(ok, ID, "other.test", WireDnsResolver.TYPE_A))
        .hasMessage("DNS response is for api.test, not other.test");

    for (int cut = 0; cut < ok.length; cut++) {
      byte[] shorter = java.util.Arrays.copyOf(ok, cut);
      assertThatThrownBy(() -> DnsMessages.parse(shorter, ID, "api.test", WireDnsResolver.TYPE_A))
          .as("cut at %d of %d bytes", cut, ok.length)
          .isInstanceOf(IOException.class);
    }

    // An owner name that points at itself: a compression loop.
    byte[] loop =
        new Response("api.test", WireDnsResolver.TYPE_A, 0)
            .answer(new byte[] {(byte) 0xc0, 0}, WireDnsResolver.TYPE_A, 5, ipv4("10.0.0.1"))
            .bytes(ID);
    int ownerAt = 12 + DnsMessages.encodeName("api.test").length + 4;
    loop[ownerAt + 1] = (byte) ownerAt;
    assertThatThrownBy(() -> DnsMessages.parse(loop, ID, "api.test", WireDnsResolver.TYPE_A))
        .hasMessage("DNS name pointer does not point backwards: a loop");

    byte[] shortAddress =
        new Response("api.test", WireDnsResolver.TYPE_A, 0)
            .answer(AT_QUESTION, WireDnsResolver.TYPE_A, 5, new byte[] {10, 0, 0})
            .bytes(ID);
    assertThatThrownBy(
            () -> DnsMessages.parse(shortAddress, ID, "api.test", WireDnsResolver.TYPE_A))
        .hasMessage("DNS address record of 3 bytes, not 4");
  }

  @Test
  void query_isAStandardRecursiveQuery_andNamesAreChecked() {
    byte[] q = DnsMessages.query(ID, "api.test", WireDnsResolver.TYPE_SRV);
    assertThat(q)
        .startsWith(0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0)
        .endsWith(0, 0, 33, 0, 1);
    assertThat(new String(q, 13, 3, StandardCharsets.US_ASCII)).isEqualTo("api");
    assertThatThrownBy(() -> DnsMessages.encodeName("a..b"))
        .hasMessage("DNS name has an empty label: a..b");
    assertThatThrownBy(() -> DnsMessages.encodeName("x".repeat(64) + ".test"))
        .hasMessageStartingWith("DNS label longer than 63 characters");
    assertThatThrownBy(() -> WireDnsResolver.typeCode("TXT"))
        .hasMessage("type must be A, AAAA or SRV but was 'TXT'");
  }

  @Test
  void servers_fromResolvConf_andValidated() {
    ResolvConf conf =
        ResolvConf.parse(
            """
            nameserver 10.96.0.10
            nameserver fe80::1%eth0
            nameserver 10.0.0.3
            nameserver 10.0.0.4
            search svc.cluster.local
            """);
    assertThat(conf.nameservers).containsExactly("10.96.0.10:53", "[fe80::1]:53", "10.0.0.3:53");
    assertThat(ResolvConf.parse("search a.test\n").nameservers).containsExactly("127.0.0.1:53");
    assertThat(
            ((WireDnsResolver) DnsResolver.wire(List.of("[::1]:5353"), Duration.ofSeconds(1), 0))
                .servers())
        .extracting(a -> a.getPort())
        .containsExactly(5353);
    assertThatThrownBy(() -> DnsResolver.wire(List.of("10.0.0.1"), Duration.ofSeconds(1), 0))
        .hasMessage("DNS server must be host:port such as 10.0.0.2:53 but was '10.0.0.1'");
    assertThatThrownBy(() -> DnsResolver.wire(List.of("10.0.0.1:53"), Duration.ZERO, 0))
        .hasMessage("timeout must be positive but was PT0S");
    assertThatThrownBy(() -> DnsResolver.jndi(List.of(), Duration.ofSeconds(1), -1))
        .hasMessage("retries must be 0 or more but was -1");
  }

  @Test
  void unreachableServer_failsAfterItsRetries_namingTheQuery() {
    // A UDP port on 127.0.0.1 with nobody listening: the query times out (or is refused).
    DnsResolver dns = DnsResolver.wire(List.of("127.0.0.1:9"), Duration.ofMillis(50), 1);
    assertThatThrownBy(() -> dns.query("api.test", "A"))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("DNS query A api.test failed: ");
  }
}

package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Which hosts an {@link Endpoint} accepts: DNS names, IPv4 literals, unbracketed IPv6 literals. */
class EndpointHostTest {
  @Test
  void acceptsDnsNamesAndIpLiterals() {
    for (String host :
        new String[] {
          "h",
          "x",
          "localhost",
          "host.example",
          "host.example.",
          "my-service_1.ns.svc.cluster.local",
          "127.0.0.1",
          "10.255.255.255",
          "0.0.0.0",
          "::1",
          "::",
          "fd00::2",
          "2001:db8::8a2e:370:7334",
          "2001:0db8:0000:0000:0000:ff00:0042:8329",
          "fe80::1%eth0",
          "::ffff:10.0.0.1",
          "1::",
          "a" + "b".repeat(62)
        }) {
      assertThat(Endpoint.of(host, 80).host()).as(host).isEqualTo(host);
    }
  }

  @Test
  void rejectsWhatIsNotAHost_namingTheOptionAndQuotingTheValue() {
    for (String host :
        new String[] {
          "a b",
          "10.0.0.1:8080",
          "http://10.0.0.1",
          "10.0.0.1/24",
          "[::1]",
          "10.0.0.256",
          "10.0.0",
          "1.2.3.4.5",
          "-a.example",
          "a-.example",
          "a..b",
          ".a",
          "a" + "b".repeat(63),
          "1:2:3:4:5:6:7:8:9",
          "1::2::3",
          "12345::1",
          "g::1",
          "fe80::1%",
          "host\t",
          "h:80",
          "é.example"
        }) {
      assertThatThrownBy(() -> Endpoint.of(host, 80))
          .as(host)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("host must be a DNS name, an IPv4 literal or an IPv6 literal")
          .hasMessageEndingWith(" but was '" + host + "'");
    }
  }

  @Test
  void rejectedHostPort_saysToGiveThePortSeparately() {
    assertThatThrownBy(() -> Endpoint.builder("10.0.0.1:8080", 80))
        .hasMessage(
            "host must be a DNS name, an IPv4 literal or an IPv6 literal (give the port"
                + " separately, without a scheme or path) but was '10.0.0.1:8080'");
    assertThatThrownBy(() -> Endpoint.of("[::1]", 80)).hasMessageContaining("(without brackets)");
  }

  @Test
  void nullHost_throwsNullPointerExceptionNamingIt() {
    assertThatThrownBy(() -> Endpoint.of(null, 80))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("host must not be null");
  }

  @Test
  void ipv6DefaultId_isBracketed() {
    assertThat(Endpoint.of("fd00::2", 443).id()).isEqualTo("[fd00::2]:443");
  }
}

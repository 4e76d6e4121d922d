package dev.lb.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InstanceRecordsTest {
  private static Endpoint parse(String json) {
    return InstanceRecords.parse("/s/k", json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void fullRecord_readsEveryField() {
    Endpoint e =
        parse(
            "{\"host\": \"10.0.0.2\", \"port\": 8080, \"id\": \"b\", \"weight\": 2, \"zone\":"
                + " \"eu-west-1a\", \"priority\": 1, \"backup\": true, \"metadata\": {\"version\":"
                + " \"v2\"}}");
    assertThat(e)
        .isEqualTo(
            Endpoint.builder("10.0.0.2", 8080)
                .id("b")
                .weight(2)
                .zone("eu-west-1a")
                .priority(1)
                .backup(true)
                .metadata("version", "v2")
                .build());
    assertThat(parse("{\"host\": \"::1\", \"port\": 1}").id()).isEqualTo("[::1]:1");
  }

  @Test
  void badRecords_nameTheKeyAndTheProblem() {
    assertBad("not json", "etcd key '/s/k' is not JSON");
    assertBad("{\"host\": \"a\", \"port\": 80} trailing", "is not JSON");
    assertBad("[1]", "must be a JSON object but was [1]");
    assertBad("{\"host\": \"a\"}", "has no 'port'");
    assertBad("{\"port\": 80}", "has no 'host'");
    assertBad("{\"host\": \"a\", \"port\": 0}", "port must be in 1..65535 but was 0");
    assertBad("{\"host\": \"a\", \"port\": -5}", "port must be in 1..65535 but was -5");
    assertBad("{\"host\": \"a\", \"port\": 70000}", "port must be in 1..65535 but was 70000");
    assertBad("{\"host\": \"a\", \"port\": \"80\"}", "port must be an integer but was \"80\"");
    assertBad("{\"host\": \"a\", \"port\": 8.5}", "port must be an integer but was 8.5");
    assertBad("{\"host\": 1, \"port\": 80}", "host must be a string but was 1");
    assertBad(
        "{\"host\": \"a\", \"port\": 80, \"weight\": 0}", "weight must be 1 or more but was 0");
    assertBad("{\"host\": \"a\", \"port\": 80, \"priority\": -1}", "priority must be 0 or more");
    assertBad(
        "{\"host\": \"a\", \"port\": 80, \"backup\": \"yes\"}", "backup must be true or false");
    assertBad("{\"host\": \"a\", \"port\": 80, \"metadata\": []}", "metadata must be an object");
    assertBad(
        "{\"host\": \"a\", \"port\": 80, \"metadata\": {\"k\": 1}}",
        "metadata 'k' must be a string");
    assertBad("{\"host\": \"a\", \"port\": 80, \"colour\": \"red\"}", "has unknown field 'colour'");
    assertBad("{\"host\": \"a b\", \"port\": 80}", "etcd key '/s/k'");
    assertBad("{\"host\": \"a\", \"port\": 80, \"zone\": \" \"}", "etcd key '/s/k'");
  }

  private static void assertBad(String json, String message) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("etcd key '/s/k'")
        .hasMessageContaining(message);
  }

  @Test
  void format_thenParse_isTheSameEndpoint_overManySeeds() {
    for (long seed = 0; seed < 500; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      Endpoint.Builder b =
          Endpoint.builder(
                  r.nextBoolean()
                      ? "10.0." + r.nextInt(256) + "." + r.nextInt(256)
                      : "fe80::" + r.nextInt(999),
                  1 + r.nextInt(65535))
              .weight(1 + r.nextInt(1000))
              .priority(r.nextInt(4))
              .backup(r.nextInt(5) == 0);
      if (r.nextBoolean()) {
        b.zone("z" + r.nextInt(3));
      }
      if (r.nextBoolean()) {
        b.id("id-" + r.nextInt(1_000_000));
      }
      for (int i = r.nextInt(3); i > 0; i--) {
        b.metadata("k" + i, "v\"" + r.nextInt());
      }
      Endpoint e = b.build();
      assertThat(InstanceRecords.parse("/k", InstanceRecords.format(e)))
          .as("seed %d", seed)
          .isEqualTo(e);
    }
  }

  @Test
  void builders_rejectBadOptions_withTheValue() {
    Client client = Client.builder().endpoints("http://127.0.0.1:1").build();
    try {
      assertThatThrownBy(() -> EtcdEndpointSource.builder(client, ""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("prefix must not be empty");
      assertThatThrownBy(() -> EtcdEndpointSource.builder(null, "/p"))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("client");
      EtcdEndpointSource.Builder b = EtcdEndpointSource.builder(client, "/p/");
      assertThatThrownBy(() -> b.checkInterval(Duration.ZERO))
          .hasMessage("checkInterval must be positive but was PT0S");
      assertThatThrownBy(() -> b.requestTimeout(Duration.ofMillis(-1)))
          .hasMessage("requestTimeout must be positive but was PT-0.001S");
      assertThatThrownBy(() -> b.retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
          .hasMessage("retryBackoff max must be at least initial (PT2S) but was PT1S");
      assertThat(b.build().name()).isEqualTo("etcd:/p/");
      Endpoint e = Endpoint.of("10.0.0.1", 80);
      assertThatThrownBy(() -> EtcdRegistration.register(client, "/p/", e, Duration.ofMillis(500)))
          .hasMessage("ttl must be at least 1 second but was PT0.5S");
      assertThatThrownBy(() -> EtcdRegistration.register(client, "", e, Duration.ofSeconds(1)))
          .hasMessage("prefix must not be empty but was ''");
    } finally {
      client.close();
    }
  }

  @Test
  void backoff_growsBy1point6_isCapped_andJittered() {
    Backoff b = new Backoff(Duration.ofMillis(100).toNanos(), Duration.ofSeconds(2).toNanos());
    SplittableRandom random = new SplittableRandom(3);
    for (int attempt = 1; attempt < 40; attempt++) {
      double base = Math.min(100e6 * Math.pow(1.6, attempt - 1), 2e9);
      assertThat((double) b.delayNanos(attempt, random)).isBetween(base * 0.8, base * 1.2);
    }
  }
}

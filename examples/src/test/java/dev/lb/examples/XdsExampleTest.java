package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The xDS example runs against its in-process control plane and follows its snapshot change. */
class XdsExampleTest {
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void example_callsTheSnapshotsBackends_thenFollowsTheNewSnapshotAndPolicy() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      XdsExample.main(new String[0]);
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    assertThat(out).contains("strategy: weighted_round_robin");
    assertThat(out).contains("calls: {users-a=6, users-b=6}");
    assertThat(out).contains("strategy: ring_hash");
    assertThat(out).contains("lbPolicy=RING_HASH");
    assertThat(out).containsPattern("snapshot 2 reached the calls in [0-9.]+ ms");
    assertThat(out).containsPattern("calls: \\{.*users-c=.*\\}");
    assertThat(out).contains("drops: [Drop[category=throttle, fraction=0.25]]");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("dropped ([0-9]+) of 400 calls").matcher(out);
    assertThat(m.find()).isTrue();
    // Binomial(400, 0.25): 100 expected, sigma 8.7; 60..140 is beyond 4.5 sigma either way.
    assertThat(Integer.parseInt(m.group(1))).isBetween(60, 140);
  }
}

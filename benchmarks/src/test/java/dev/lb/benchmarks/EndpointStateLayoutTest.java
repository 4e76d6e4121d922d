package dev.lb.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/**
 * The cache-line claims of lb-core's {@code EndpointStateLayout}, checked against the field offsets
 * this JVM actually uses (printed with JOL, so a failure shows the whole layout): what a call
 * writes and a load-aware pick reads fits in 64 bytes, what every strategy touches in 36, what a
 * peak-EWMA pick reads of a candidate in 24, and padding of at least 128 bytes before and 64 after
 * keeps it off the read-mostly head and off the next object.
 */
class EndpointStateLayoutTest {
  private static final List<String> BLOCK =
      List.of(
          "peakCost",
          "peakStamp",
          "peakKey",
          "penaltyKey",
          "inFlightAndSuccesses",
          "responseBytes",
          "latencyEwma",
          "failureStreak");

  /** What a p2c call touches: the block without peak EWMA's three fields. */
  private static final List<String> EVERY_STRATEGY = BLOCK.subList(3, BLOCK.size());

  /** What a peak-EWMA pick reads of each candidate: its key, the penalty key, calls in flight. */
  private static final List<String> PEAK_PICK =
      List.of("peakKey", "penaltyKey", "inFlightAndSuccesses");

  private static final List<String> HEAD =
      List.of("status", "effectiveWeight", "endpoint", "breaker", "limiter", "loadWatcher");

  @Test
  void hotFields_fitOneBlock_paddedFromTheHeadAndTheNextObject() throws Exception {
    ClassLayout layout = ClassLayout.parseClass(Class.forName("dev.lb.EndpointState"));
    String printed = layout.toPrintable();
    Map<String, FieldLayout> byName = new HashMap<>();
    for (FieldLayout f : layout.fields()) {
      byName.put(f.name(), f);
    }
    assertThat(byName).as(printed).containsKeys(BLOCK.toArray(new String[0]));
    assertThat(span(byName, BLOCK)).as(printed).isLessThanOrEqualTo(64);
    assertThat(span(byName, EVERY_STRATEGY)).as(printed).isLessThanOrEqualTo(36);
    assertThat(span(byName, PEAK_PICK)).as(printed).isLessThanOrEqualTo(24);
    long headEnd = HEAD.stream().mapToLong(n -> end(byName.get(n))).max().orElseThrow();
    long blockStart = BLOCK.stream().mapToLong(n -> byName.get(n).offset()).min().orElseThrow();
    long blockEnd = BLOCK.stream().mapToLong(n -> end(byName.get(n))).max().orElseThrow();
    assertThat(blockStart - headEnd).as(printed).isGreaterThanOrEqualTo(128);
    assertThat(layout.instanceSize() - blockEnd).as(printed).isGreaterThanOrEqualTo(64);
  }

  private static long span(Map<String, FieldLayout> byName, List<String> names) {
    long start = names.stream().mapToLong(n -> byName.get(n).offset()).min().orElseThrow();
    long end = names.stream().mapToLong(n -> end(byName.get(n))).max().orElseThrow();
    return end - start;
  }

  private static long end(FieldLayout f) {
    return f.offset() + f.size();
  }
}

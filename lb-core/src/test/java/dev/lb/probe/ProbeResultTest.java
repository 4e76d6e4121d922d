package dev.lb.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProbeResultTest {
  @Test
  void parse_toleratesSeparatorsCaseAndUnknownKeys() {
    ProbeResult r = ProbeResult.parse("  RIF=3, latency_us=12500; cpu=0.4\n");
    assertThat(r.requestsInFlight()).isEqualTo(3);
    assertThat(r.latencyNanos()).isEqualTo(12_500_000L);
    assertThat(r.receivedAtNanos()).isEqualTo(ProbeResult.NOT_RECEIVED);
  }

  @Test
  void parse_missingOrBadFields_rejectedQuotingTheText() {
    assertThatThrownBy(() -> ProbeResult.parse("latency_us=5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rif")
        .hasMessageContaining("'latency_us=5'");
    assertThatThrownBy(() -> ProbeResult.parse("rif=2"))
        .hasMessageContaining("latency_us")
        .hasMessageContaining("'rif=2'");
    assertThatThrownBy(() -> ProbeResult.parse("rif=x latency_us=1"))
        .hasMessageContaining("rif must be an integer");
    assertThatThrownBy(() -> ProbeResult.parse("rif=-1 latency_us=1"))
        .hasMessageContaining("0 or more");
    assertThatThrownBy(() -> ProbeResult.parse("rif=99999999999 latency_us=1"))
        .hasMessageContaining("too large");
  }

  @Test
  void text_roundTrips_andStampingKeepsValues() {
    ProbeResult r = ProbeResult.of(7, 3_000_000L);
    assertThat(r.toText()).isEqualTo("rif=7 latency_us=3000");
    assertThat(ProbeResult.parse(r.toText())).isEqualTo(r);
    ProbeResult stamped = r.receivedAt(42);
    assertThat(stamped.receivedAtNanos()).isEqualTo(42);
    assertThat(stamped.requestsInFlight()).isEqualTo(7);
    assertThat(stamped).isNotEqualTo(r);
  }

  @Test
  void of_negative_rejected() {
    assertThatThrownBy(() -> ProbeResult.of(-1, 0)).hasMessageContaining("requestsInFlight");
    assertThatThrownBy(() -> ProbeResult.of(0, -1)).hasMessageContaining("latencyNanos");
  }

  @Test
  void responder_learnsLatencyPerRif_andExtrapolatesToUnseenRif() {
    ProbeResponder load = ProbeResponder.create();
    assertThat(load.answer()).isEqualTo(ProbeResult.of(0, 0));
    int first = load.begin();
    int second = load.begin();
    assertThat(first).isZero();
    assertThat(second).isEqualTo(1);
    assertThat(load.requestsInFlight()).isEqualTo(2);
    load.end(first, 10_000_000L);
    load.end(second, 20_000_000L);
    assertThat(load.requestsInFlight()).isZero();
    assertThat(load.latencyEstimateNanos(0)).isEqualTo(10_000_000L);
    assertThat(load.latencyEstimateNanos(1)).isEqualTo(20_000_000L);
    // RIF 3 unseen: the nearest lower bucket (RIF 1, 20 ms) scaled by (3 + 1) / (1 + 1).
    assertThat(load.latencyEstimateNanos(3)).isEqualTo(40_000_000L);
    // Buckets of powers of two beyond 15.
    assertThat(ProbeResponder.bucket(15)).isEqualTo(15);
    assertThat(ProbeResponder.bucket(16)).isEqualTo(16);
    assertThat(ProbeResponder.bucket(31)).isEqualTo(16);
    assertThat(ProbeResponder.bucket(32)).isEqualTo(17);
    assertThat(ProbeResponder.bucket(Integer.MAX_VALUE)).isEqualTo(32);
  }

  @Test
  void responder_ewmaMovesTowardsNewSamples() {
    ProbeResponder load = ProbeResponder.create();
    load.end(load.begin(), 10_000_000L);
    load.end(load.begin(), 20_000_000L);
    assertThat(load.latencyEstimateNanos(0)).isEqualTo(12_000_000L);
    assertThatThrownBy(() -> load.end(-1, 0)).hasMessageContaining("rifAtArrival");
  }
}

package dev.lb.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.discovery.EndpointSink;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The builder's checks and the source's lifecycle, without a server. */
class KubernetesEndpointSourceTest {
  // Nothing listens there. fabric8 retries a failed request up to 10 times with backoff (some 20 s
  // in all) before the informer hears of it; no retries here, so the failure shows at once.
  private final KubernetesClient client =
      new KubernetesClientBuilder()
          .withConfig(
              new io.fabric8.kubernetes.client.ConfigBuilder()
                  .withMasterUrl("http://127.0.0.1:1")
                  .withRequestRetryBackoffLimit(0)
                  .build())
          .build();

  private static final EndpointSink NOWHERE =
      new EndpointSink() {
        @Override
        public void update(List<Endpoint> endpoints) {}

        @Override
        public void fail(Throwable error) {}
      };

  @AfterEach
  void closeClient() {
    client.close();
  }

  @Test
  void builder_nullArguments_throwNpeNamingTheParameter() {
    assertThatThrownBy(() -> KubernetesEndpointSource.builder(null, "ns", "svc"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("client must not be null");
    assertThatThrownBy(() -> KubernetesEndpointSource.builder(client, null, "svc"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("namespace must not be null");
    assertThatThrownBy(() -> KubernetesEndpointSource.builder(client, "ns", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("service must not be null");
    KubernetesEndpointSource.Builder b = KubernetesEndpointSource.builder(client, "ns", "svc");
    assertThatThrownBy(() -> b.portName(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("portName must not be null");
    assertThatThrownBy(() -> b.resyncPeriod(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("resyncPeriod must not be null");
    assertThatThrownBy(() -> b.watchCheckInterval(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("watchCheckInterval must not be null");
  }

  @Test
  void builder_invalidValues_throwIaeNamingTheOptionAndQuotingTheValue() {
    assertThatThrownBy(() -> KubernetesEndpointSource.builder(client, " ", "svc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("namespace must not be blank but was ' '");
    assertThatThrownBy(() -> KubernetesEndpointSource.builder(client, "ns", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("service must not be blank but was ''");
    KubernetesEndpointSource.Builder b = KubernetesEndpointSource.builder(client, "ns", "svc");
    assertThatThrownBy(() -> b.resyncPeriod(Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resyncPeriod must be zero or at least 1 second but was PT0.5S");
    assertThatThrownBy(() -> b.resyncPeriod(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resyncPeriod must be zero or at least 1 second but was PT-1S");
    assertThatThrownBy(() -> b.watchCheckInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("watchCheckInterval must be positive but was PT0S");
    assertThat(b.resyncPeriod(Duration.ZERO).watchCheckInterval(Duration.ofMillis(1))).isSameAs(b);
  }

  @Test
  void name_saysNamespaceServiceAndPort() {
    assertThat(KubernetesEndpointSource.builder(client, "shop", "users").build().name())
        .isEqualTo("kubernetes:shop/users");
    KubernetesEndpointSource named =
        KubernetesEndpointSource.builder(client, "shop", "users").portName("http").build();
    assertThat(named.name()).isEqualTo("kubernetes:shop/users:http");
    assertThat(named).hasToString("KubernetesEndpointSource{kubernetes:shop/users:http}");
    assertThat(
            KubernetesEndpointSource.builder(client, "shop", "users").portName("").build().name())
        .isEqualTo("kubernetes:shop/users:''");
  }

  @Test
  void unreachableApiServer_atStart_isReportedAsAFailure() throws Exception {
    java.util.concurrent.BlockingQueue<Throwable> failures =
        new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.atomic.AtomicInteger updates =
        new java.util.concurrent.atomic.AtomicInteger();
    KubernetesEndpointSource source =
        KubernetesEndpointSource.builder(client, "shop", "users").build();
    source.start(
        new EndpointSink() {
          @Override
          public void update(List<Endpoint> endpoints) {
            updates.incrementAndGet();
          }

          @Override
          public void fail(Throwable error) {
            failures.add(error);
          }
        });
    try {
      Throwable first = failures.poll(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(first).as("a failure reported while the list cannot be made").isNotNull();
      assertThat(updates.get()).isZero();
    } finally {
      source.close();
    }
  }

  @Test
  void start_twice_orAfterClose_orWithNull_isRefused() {
    KubernetesEndpointSource source = KubernetesEndpointSource.builder(client, "ns", "svc").build();
    assertThatThrownBy(() -> source.start(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("sink must not be null");
    source.start(NOWHERE);
    assertThatThrownBy(() -> source.start(NOWHERE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("source kubernetes:ns/svc was already started");
    source.close();
    source.close(); // idempotent

    KubernetesEndpointSource closed = KubernetesEndpointSource.builder(client, "ns", "svc").build();
    closed.close();
    assertThatThrownBy(() -> closed.start(NOWHERE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("source kubernetes:ns/svc is closed");
  }
}

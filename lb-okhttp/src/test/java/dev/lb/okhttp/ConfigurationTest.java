package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.retry.FailureKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLHandshakeException;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/** Configuration errors and the adapter's small pure parts: keys, classification, stick tables. */
class ConfigurationTest {
  private static final LoadBalancer BALANCER =
      LoadBalancer.builder()
          .name("users")
          .endpoints(List.of(Endpoint.of("127.0.0.1", 8080)))
          .build();

  @Test
  void endpoints_unknownStrategy_namesTheKnownOnes() {
    assertThatThrownBy(
            () -> Service.builder("users").endpoints("fastest", List.of(Endpoint.of("h", 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("strategy must be one of")
        .hasMessageContaining("round_robin")
        .hasMessageEndingWith("but was 'fastest'");
  }

  @Test
  void endpoints_emptyGroup_isRejected() {
    assertThatThrownBy(() -> Service.builder("users").endpoints("p2c", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("endpoints of service 'users' must not be empty but was []");
    assertThatThrownBy(() -> TrafficSplit.builder().build())
        .hasMessage("a traffic split needs at least one arm but has none");
    assertThatThrownBy(() -> TrafficSplit.builder().arm("a", BALANCER, 0).build())
        .hasMessageContaining("needs an arm of positive weight but all are 0");
  }

  @Test
  void timeouts_negativeOrZero_areRejectedQuotingTheValue() {
    assertThatThrownBy(() -> Service.builder("users").attemptTimeout(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("attempt timeout must be positive but was PT-0.005S");
    assertThatThrownBy(() -> Service.builder("users").attemptTimeout(Duration.ZERO))
        .hasMessage("attempt timeout must be positive but was PT0S");
    assertThatThrownBy(
            () ->
                HttpHealthChecker.builder()
                    .build()
                    .check(Endpoint.of("127.0.0.1", 1), Duration.ofSeconds(-1)))
        .hasMessage("health check timeout must be positive but was PT-1S");
  }

  @Test
  @SuppressWarnings("NullAway") // nulls passed on purpose
  void nullParameters_throwNullPointerExceptionNamingTheParameter() {
    assertThatThrownBy(() -> Service.builder("users").retryBudget(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("retry budget must not be null");
    assertThatThrownBy(() -> Service.builder("users").backoff(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("backoff must not be null");
    assertThatThrownBy(() -> Service.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("service host must not be null");
    assertThatThrownBy(() -> Service.builder("users").attemptTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("attempt timeout must not be null");
    assertThatThrownBy(() -> Route.pathPrefix("/api", (LoadBalancer) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("balancer must not be null");
    assertThatThrownBy(() -> LoadBalancingInterceptor.builder().service(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("service must not be null");
    assertThatThrownBy(() -> KeyExtractor.of(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("key extractor function must not be null");
  }

  @Test
  void newOptions_badValues_areRejectedNamingTheOptionAndQuotingTheValue() {
    assertThatThrownBy(() -> Service.builder("users").attemptTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("attempt timeout must be positive but was PT0S");
    assertThatThrownBy(() -> Service.builder("users").readTimeout(Duration.ofMillis(-5)))
        .hasMessage("read timeout must be positive but was PT-0.005S");
    assertThatThrownBy(() -> Service.builder("users").connectTimeout(Duration.ofDays(30)))
        .hasMessage("connect timeout must be at most 2147483647 ms but was PT720H");
    assertThatThrownBy(() -> Service.builder("users").writeTimeout(Duration.ZERO))
        .hasMessage("write timeout must be positive but was PT0S");
    assertThatThrownBy(() -> Service.builder("users").responseBufferLimit(-1))
        .hasMessage("response buffer limit must be 0 or more but was -1");
    assertThatThrownBy(() -> Service.builder("users").idempotencyKeyHeader(" "))
        .hasMessage("idempotency key header must not be blank but was ' '");
    assertThatThrownBy(() -> LoadBalancingInterceptor.builder().maxRequestsPerService(0))
        .hasMessage("max requests per service must be positive but was 0");
    assertThatThrownBy(() -> LoadBalancingInterceptor.builder().maxRequestsPerEndpoint(-2))
        .hasMessage("max requests per endpoint must be positive but was -2");
    assertThatThrownBy(() -> LoadBalancingInterceptor.builder().idleConnectionsPerEndpoint(-1))
        .hasMessage("idle connections per endpoint must be 0 or more but was -1");
  }

  @Test
  void otherOptions_badValues_areRejectedNamingTheOption() {
    assertThatThrownBy(() -> Service.builder(" "))
        .hasMessage("service host must not be blank but was ' '");
    assertThatThrownBy(() -> Service.builder("users").scheme("ftp"))
        .hasMessage("scheme must be 'http' or 'https' but was 'ftp'");
    assertThatThrownBy(() -> Service.builder("users").maxAttempts(0))
        .hasMessage("max attempts must be in 1..100 but was 0");
    assertThatThrownBy(() -> Service.builder("users").maxAttempts(101))
        .hasMessage("max attempts must be in 1..100 but was 101");
    assertThatThrownBy(() -> Service.builder("users").retryStatuses(503, 700))
        .hasMessage("retry status must be in 100..599 but was 700");
    assertThatThrownBy(() -> Service.builder("users").stickTable(0, Duration.ofSeconds(1)))
        .hasMessage("stick table maximum size must be positive but was 0");
    assertThatThrownBy(() -> Service.builder("users").build())
        .hasMessageContaining("service 'users' needs a default target");
    assertThatThrownBy(() -> Route.pathPrefix("api", BALANCER))
        .hasMessage("path prefix must start with '/' but was 'api'");
    assertThatThrownBy(() -> TrafficSplit.builder().arm("a", BALANCER, 1).arm("a", BALANCER, 1))
        .hasMessage("arm names must be distinct but 'a' repeats");
    assertThatThrownBy(() -> LoadBalancingInterceptor.builder().build())
        .hasMessage("a load-balancing interceptor needs a service but has none");
    assertThatThrownBy(
            () ->
                LoadBalancingInterceptor.builder()
                    .service("users", BALANCER)
                    .service("USERS", BALANCER))
        .hasMessage("service hosts must be distinct but 'users' repeats");
    assertThatThrownBy(() -> FailureClassifier.builder().statusCodes(42))
        .hasMessage("failure status code must be in 100..599 but was 42");
  }

  @Test
  void keyExtractor_headerCookieAndFunction() {
    Request r =
        new Request.Builder()
            .url("http://users/x?tenant=t7")
            .header("X-User", "u1")
            .header("Cookie", "theme=dark; session=abc ; empty=")
            .build();

    assertThat(KeyExtractor.header("X-User").extract(r)).isEqualTo("u1");
    assertThat(KeyExtractor.header("X-Missing").extract(r)).isNull();
    assertThat(KeyExtractor.cookie("session").extract(r)).isEqualTo("abc");
    assertThat(KeyExtractor.cookie("empty").extract(r)).isNull();
    assertThat(KeyExtractor.cookie("sess").extract(r)).isNull();
    assertThat(KeyExtractor.of(q -> q.url().queryParameter("tenant")).extract(r)).isEqualTo("t7");
    assertThat(KeyExtractor.NONE.extract(r)).isNull();
    assertThatThrownBy(() -> KeyExtractor.cookie(""))
        .hasMessage("cookie name must not be blank but was ''");
  }

  @Test
  void ioErrors_connectTimeoutIsBeforeSend_readTimeoutIsNot() {
    assertThat(IoErrors.kind(new ConnectException("refused"))).isEqualTo(IoErrors.Kind.CONNECT);
    assertThat(IoErrors.kind(new SocketTimeoutException("Connect timed out")))
        .isEqualTo(IoErrors.Kind.CONNECT);
    assertThat(IoErrors.kind(new SocketTimeoutException("Read timed out")))
        .isEqualTo(IoErrors.Kind.TIMEOUT);
    assertThat(IoErrors.kind(new InterruptedIOException("timeout")))
        .isEqualTo(IoErrors.Kind.TIMEOUT);
    assertThat(IoErrors.kind(new IOException("unexpected end of stream")))
        .isEqualTo(IoErrors.Kind.OTHER);
  }

  @Test
  void failureClassifier_categoriesCanBeTurnedOff() {
    FailureClassifier lenient =
        FailureClassifier.builder()
            .connectErrors(false)
            .timeouts(false)
            .otherIoErrors(false)
            .serverErrors(false)
            .statusCodes(418)
            .build();

    assertThat(lenient.isFailure(new ConnectException())).isFalse();
    assertThat(lenient.isFailure(new SocketTimeoutException("Read timed out"))).isFalse();
    assertThat(lenient.isFailure(new IOException())).isFalse();
    assertThat(FailureClassifier.defaults().isFailure(new IOException())).isTrue();
  }

  @Test
  void retryKind_mapsOkHttpFailuresOntoCoreFailureKinds() {
    assertThat(IoErrors.retryKind(new ConnectException("refused")))
        .isEqualTo(FailureKind.CONNECT_FAILED);
    assertThat(IoErrors.retryKind(new SocketTimeoutException("Connect timed out")))
        .isEqualTo(FailureKind.CONNECT_FAILED);
    assertThat(IoErrors.retryKind(new SSLHandshakeException("bad certificate")))
        .isEqualTo(FailureKind.CONNECT_FAILED);
    assertThat(IoErrors.retryKind(new SocketTimeoutException("Read timed out")))
        .isEqualTo(FailureKind.TIMEOUT);
    assertThat(IoErrors.retryKind(new IOException("unexpected end of stream")))
        .as("an answer lost after sending is retried like a timeout")
        .isEqualTo(FailureKind.TIMEOUT);
    assertThat(IoErrors.retryKind(new IOException("stream was reset: REFUSED_STREAM")))
        .as("only OkHttp's StreamResetException proves the stream was refused")
        .isEqualTo(FailureKind.TIMEOUT);
  }

  @Test
  void stickTables_caffeine_badValues_areRejectedNamingTheOption() {
    assertThatThrownBy(() -> StickTables.caffeine(0, Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stick table maximum size must be positive but was 0");
    assertThatThrownBy(() -> StickTables.caffeine(10, Duration.ZERO))
        .hasMessage("stick table idle expiry must be positive but was PT0S");
    assertThatThrownBy(() -> StickTables.caffeine(10, Duration.ofMinutes(1), null))
        .hasMessage("ticker must not be null");
  }

  @Test
  void caffeineStickTable_forgetsASessionIdleLongerThanTheExpiry_butEachUseRestartsIt() {
    AtomicLong now = new AtomicLong();
    CaffeineStickTable table =
        new CaffeineStickTable(100, Duration.ofMinutes(1).toNanos(), now::get);

    table.put(1L, "a");
    now.addAndGet(Duration.ofSeconds(50).toNanos());
    assertThat(table.get(1L)).isEqualTo("a");
    now.addAndGet(Duration.ofSeconds(50).toNanos());
    assertThat(table.get(1L)).as("the lookup 50 s ago restarted the idle time").isEqualTo("a");
    now.addAndGet(Duration.ofSeconds(61).toNanos());
    assertThat(table.get(1L)).as("idle for 61 s").isNull();

    table.put(2L, "b");
    table.remove(2L);
    assertThat(table.get(2L)).isNull();
  }

  @Test
  void caffeineStickTable_holdsAtMostItsMaximumSize() {
    CaffeineStickTable table = new CaffeineStickTable(50, Duration.ofHours(1).toNanos(), () -> 0);

    for (long session = 0; session < 1_000; session++) {
      table.put(session * 0x9E3779B97F4A7C15L, "e" + (session % 3));
    }

    assertThat(table.size()).isEqualTo(50);
  }

  @Test
  void splitHash_isStableAcrossReleases() {
    // Pinned values: a change moves users between traffic-split arms.
    assertThat(Long.toHexString(SplitHash.hash("user-1"))).isEqualTo(PINNED_USER_1);
    assertThat(SplitHash.hash("user-1")).isNotEqualTo(SplitHash.hash("user-2"));
  }

  /** XXH64("user-1", seed 0x5e17), computed independently by a pure-Python XXH64. */
  private static final String PINNED_USER_1 = "a6b7265f8ee7f518";

  @Test
  void trafficSplit_growingTheLastArm_onlyMovesUsersIntoIt() {
    LoadBalancer stable = LoadBalancer.builder().name("stable").build();
    LoadBalancer canary = LoadBalancer.builder().name("canary").build();
    TrafficSplit five = TrafficSplit.builder().arm("s", stable, 95).arm("c", canary, 5).build();
    TrafficSplit ten = TrafficSplit.builder().arm("s", stable, 90).arm("c", canary, 10).build();
    SplittableRandom unused = new SplittableRandom(1);
    int inFive = 0;
    int inTen = 0;

    for (int u = 0; u < 20_000; u++) {
      String key = "u" + u;
      boolean wasCanary = five.choose(key, unused) == canary;
      boolean isCanary = ten.choose(key, unused) == canary;
      if (wasCanary) {
        inFive++;
        assertThat(isCanary).as("user %s left the canary when it grew", key).isTrue();
      }
      if (isCanary) {
        inTen++;
      }
    }
    assertThat(inFive).isBetween(900, 1100);
    assertThat(inTen).isBetween(1850, 2150);
  }
}

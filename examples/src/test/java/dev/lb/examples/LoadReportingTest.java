package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.BalancerStats;
import dev.lb.EndpointStats;
import dev.lb.LoadReport;
import dev.lb.grpc.LbChannels;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server-side helpers: the meter's arithmetic, its HTTP header, its gRPC trailer. */
class LoadReportingTest {
  private static final long MS = 1_000_000L;

  @Test
  void meter_reportsTheLastWholeSecond() {
    AtomicLong now = new AtomicLong(0);
    LoadReporter load = new LoadReporter(4, now::get);
    assertThat(load.report().isEmpty()).as("nothing in the first second").isTrue();

    long a = load.begin();
    long b = load.begin();
    now.set(500 * MS);
    load.end(a, false);
    load.end(b, true);
    now.set(1000 * MS);
    LoadReport r = load.report();
    // Two requests in progress for half a second, of a capacity of four for a second.
    assertThat(r.applicationUtilization()).isCloseTo(0.25, within(1e-9));
    assertThat(r.requestsPerSecond()).isEqualTo(2.0);
    assertThat(r.errorsPerSecond()).isEqualTo(1.0);
    assertThat(r.requestsInFlight()).isZero();
    assertThat(load.httpHeader())
        .isEqualTo("TEXT application_utilization=0.2500, rps_fractional=2.000, eps=1.000");

    // A request that spans a window boundary counts in both; a long idle gap empties the report.
    long c = load.begin();
    now.set(2500 * MS);
    assertThat(load.report().applicationUtilization()).isCloseTo(0.25, within(1e-9));
    load.end(c, false);
    now.set(10_000 * MS);
    assertThat(load.report().requestsPerSecond()).isZero();
    assertThat(load.report().applicationUtilization()).isZero();

    assertThatThrownBy(() -> new LoadReporter(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("capacity must be at least 1 but was 0");
  }

  @Test
  void textHeader_namesEveryReportedField() {
    LoadReport r =
        LoadReport.builder()
            .cpuUtilization(0.3)
            .memoryUtilization(0.5)
            .requestsPerSecond(10)
            .namedMetric("queue", 7)
            .build();
    assertThat(LoadReporter.textHeader(r))
        .isEqualTo(
            "TEXT cpu_utilization=0.3000, mem_utilization=0.5000, rps_fractional=10.00,"
                + " named_metrics.queue=7.000");
    assertThat(LoadReporter.textHeader(LoadReport.empty())).isEqualTo("TEXT");
  }

  private static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      };

  private static final MethodDescriptor<String, String> WHO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("users.Users/Who")
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void grpcInterceptor_sendsTheTrailer_thatTheOrcaPolicyReads() throws Exception {
    LoadReporter load = new LoadReporter(2);
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("users.Users")
            .addMethod(
                WHO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext("users-1");
                      response.onCompleted();
                    }))
            .build();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(GrpcLoadReporting.intercept(service, load))
            .build()
            .start();
    String target = "lb:///127.0.0.1:" + server.getPort();
    ManagedChannel channel =
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
            .defaultLoadBalancingPolicy("lb_orca_weighted_round_robin")
            .build();
    try {
      // The meter reports whole seconds: call until the balancer holds a report with a rate.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      LoadReport seen = null;
      while (System.nanoTime() < deadline) {
        ClientCalls.blockingUnaryCall(
            channel,
            WHO,
            CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(5, TimeUnit.SECONDS),
            "");
        seen = report(target);
        if (seen != null && seen.requestsPerSecond() > 0) {
          break;
        }
      }
      assertThat(seen).isNotNull();
      assertThat(seen.requestsPerSecond()).isPositive();
      assertThat(seen.applicationUtilization()).isPositive();
      assertThat(seen.receivedAtNanos()).isNotEqualTo(LoadReport.NOT_RECEIVED);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static LoadReport report(String target) {
    for (BalancerStats stats : LbChannels.stats(target)) {
      for (EndpointStats e : stats.endpoints()) {
        if (e.loadReport() != null) {
          return e.loadReport();
        }
      }
    }
    return null;
  }
}

package dev.lb.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Channel helpers for the tests: building lb channels and counting which server answered. */
final class Channels {
  private Channels() {}

  static ManagedChannelBuilder<?> builder(String target) {
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create());
  }

  static ManagedChannel lbChannel(String target, String policy) {
    return builder(target).defaultLoadBalancingPolicy(policy).build();
  }

  static CallOptions waitForReady() {
    return CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static String call(Channel channel, MethodDescriptor<String, String> method, CallOptions opts) {
    return ClientCalls.blockingUnaryCall(channel, method, opts, "hi");
  }

  /** Calls {@code Who} and returns its final status: OK, or the status it failed with. */
  static Status callStatus(Channel channel, CallOptions opts) {
    try {
      call(channel, TestServer.WHO, opts);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  static String who(Channel channel) {
    return call(channel, TestServer.WHO, waitForReady());
  }

  /** Calls {@code who} {@code n} times; returns the number of answers per server name. */
  static Map<String, Integer> distribution(Channel channel, int n) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(who(channel), 1, Integer::sum);
    }
    return counts;
  }

  /** Calls until every server in {@code servers} has answered, within {@code timeout}. */
  static void warmUp(Channel channel, List<TestServer> servers, Duration timeout) {
    Set<String> expected = new HashSet<>();
    for (TestServer s : servers) {
      expected.add(s.name);
    }
    Set<String> seen = new HashSet<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!seen.containsAll(expected)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "only " + seen + " of " + expected + " answered within " + timeout);
      }
      seen.add(who(channel));
    }
  }

  /**
   * Waits until {@code condition} holds, polling every few milliseconds; fails after {@code
   * timeout}. For conditions of real networks (a connection lost, an event delivered), which have
   * no completion to wait on.
   */
  static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  /** A JSON-like service config with one lb policy and its options. */
  static Map<String, ?> serviceConfig(String policy, Map<String, ?> options) {
    return Map.of("loadBalancingConfig", List.of(Map.of(policy, options)));
  }

  /** A service config with one lb policy and a retry policy on test.Echo for UNAVAILABLE. */
  static Map<String, ?> serviceConfigWithRetry(String policy) {
    return serviceConfigWithRetry(policy, List.of("UNAVAILABLE"));
  }

  /** A service config with one lb policy and a retry policy on test.Echo for these codes. */
  static Map<String, ?> serviceConfigWithRetry(String policy, List<String> retryableCodes) {
    Map<String, ?> retry =
        Map.of(
            "maxAttempts",
            5.0,
            "initialBackoff",
            "0.01s",
            "maxBackoff",
            "0.1s",
            "backoffMultiplier",
            2.0,
            "retryableStatusCodes",
            retryableCodes);
    return Map.of(
        "loadBalancingConfig",
        List.of(Map.of(policy, Map.of())),
        "methodConfig",
        List.of(Map.of("name", List.of(Map.of("service", "test.Echo")), "retryPolicy", retry)));
  }
}

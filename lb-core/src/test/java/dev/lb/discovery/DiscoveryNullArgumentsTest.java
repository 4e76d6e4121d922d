package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
import dev.lb.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method and builder option of the discovery package that takes a required reference:
 * a null throws {@link NullPointerException} whose message names the parameter. (A null list that a
 * source delivers to its sink is data, not an argument: {@link DiscoveryBindingTest} covers it.)
 */
class DiscoveryNullArgumentsTest {
  static Stream<Arguments> nullArguments() {
    LoadBalancer balancer = Fixtures.balancer(Strategies.roundRobin(), List.of(), 1L);
    DiscoveryBinding.Builder binding = DiscoveryBinding.builder(new ManualSource());
    DnsEndpointSource.Builder dns = DnsEndpointSource.forAddresses("api.internal", 80);
    FileEndpointSource.Builder file = FileEndpointSource.builder(Path.of("endpoints.json"));
    RefreshPolicy.Builder refresh = RefreshPolicy.builder();
    return Stream.of(
        call(
            "DiscoveryBinding.bind(source, balancer): source",
            "source",
            () -> DiscoveryBinding.bind(null, balancer)),
        call(
            "DiscoveryBinding.bind(source, balancer): balancer",
            "balancer",
            () -> DiscoveryBinding.bind(new ManualSource(), null)),
        call("DiscoveryBinding.builder(source)", "source", () -> DiscoveryBinding.builder(null)),
        call("DiscoveryBinding.Builder.listener", "listener", () -> binding.listener(null)),
        call("DiscoveryBinding.Builder.ticker", "ticker", () -> binding.ticker(null)),
        call(
            "DiscoveryBinding.Builder.bind(LoadBalancer)",
            "balancer",
            () -> binding.bind((LoadBalancer) null)),
        call(
            "DiscoveryBinding.Builder.bind(Consumer)",
            "target",
            () -> binding.bind((Consumer<List<Endpoint>>) null)),
        call(
            "DnsEndpointSource.forAddresses(hostname, port)",
            "hostname",
            () -> DnsEndpointSource.forAddresses(null, 80)),
        call(
            "DnsEndpointSource.forSrv(serviceName)",
            "serviceName",
            () -> DnsEndpointSource.forSrv(null)),
        call("DnsEndpointSource.Builder.dnsServer", "dnsServer", () -> dns.dnsServer(null)),
        call("DnsEndpointSource.Builder.refresh", "refresh", () -> dns.refresh(null)),
        call(
            "DnsEndpointSource.Builder.queryTimeout", "queryTimeout", () -> dns.queryTimeout(null)),
        call("DnsEndpointSource.Builder.scheduler", "scheduler", () -> dns.scheduler(null)),
        call("DnsEndpointSource.Builder.executor", "executor", () -> dns.executor(null)),
        call("DnsEndpointSource.Builder.random", "random", () -> dns.random(null)),
        call("DnsEndpointSource.start(sink)", "sink", () -> dns.build().start(null)),
        call("FileEndpointSource.builder(file)", "file", () -> FileEndpointSource.builder(null)),
        call("FileEndpointSource.Builder.format", "format", () -> file.format(null)),
        call("FileEndpointSource.Builder.refresh", "refresh", () -> file.refresh(null)),
        call("FileEndpointSource.Builder.scheduler", "scheduler", () -> file.scheduler(null)),
        call("FileEndpointSource.Builder.executor", "executor", () -> file.executor(null)),
        call("FileEndpointSource.Builder.random", "random", () -> file.random(null)),
        call("FileEndpointSource.start(sink)", "sink", () -> file.build().start(null)),
        call("RefreshPolicy.Builder.interval", "interval", () -> refresh.interval(null)),
        call("RefreshPolicy.Builder.floor", "floor", () -> refresh.floor(null)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void nullArguments(ThrowingCallable call, String parameter) {
    assertThatThrownBy(call)
        .isInstanceOf(NullPointerException.class)
        .hasMessage(parameter + " must not be null");
  }

  private static Arguments call(String method, String parameter, ThrowingCallable call) {
    return Arguments.of(Named.of(method, call), parameter);
  }
}

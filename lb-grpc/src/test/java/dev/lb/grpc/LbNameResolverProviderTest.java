package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverRegistry;
import io.grpc.SynchronizationContext;
import io.grpc.inprocess.InProcessSocketAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

@SuppressWarnings("AddressSelection") // IP literals only: nothing to resolve
class LbNameResolverProviderTest {
  private static final NameResolver.Args ARGS =
      NameResolver.Args.newBuilder()
          .setDefaultPort(443)
          .setProxyDetector(address -> null)
          .setSynchronizationContext(
              new SynchronizationContext(
                  (t, e) -> {
                    throw new AssertionError(e);
                  }))
          .setServiceConfigParser(
              new NameResolver.ServiceConfigParser() {
                @Override
                public NameResolver.ConfigOrError parseServiceConfig(
                    java.util.Map<String, ?> rawServiceConfig) {
                  return NameResolver.ConfigOrError.fromConfig(rawServiceConfig);
                }
              })
          .build();

  private final LbNameResolverProvider provider = new LbNameResolverProvider();

  @Test
  void registeredProvider_servesTheLbScheme() {
    assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("lb"))
        .isInstanceOf(LbNameResolverProvider.class);
    assertThat(provider.getDefaultScheme()).isEqualTo("lb");
    assertThat(provider.isAvailable()).isTrue();
    assertThat(provider.priority()).isEqualTo(5);
    assertThat(provider.getProducedSocketAddressTypes()).containsExactly(InetSocketAddress.class);
  }

  @Test
  void groupTarget_authorityIsTheGroupName() {
    NameResolver resolver = provider.newNameResolver(URI.create("lb:///users"), ARGS);

    assertThat(resolver.getServiceAuthority()).isEqualTo("users");
  }

  @Test
  void staticTarget_authorityIsTheFirstAddress() {
    NameResolver resolver =
        provider.newNameResolver(URI.create("lb:///10.0.0.1:80,10.0.0.2:81"), ARGS);

    assertThat(resolver.getServiceAuthority()).isEqualTo("10.0.0.1:80");
  }

  @Test
  void otherScheme_isNotOurs() {
    assertThat(provider.newNameResolver(URI.create("dns:///users"), ARGS)).isNull();
  }

  @Test
  void malformedTargets_areRejected_quotingTheTarget() {
    for (String target : new String[] {"lb://authority/users", "lb:///", "lb:users"}) {
      assertThatThrownBy(() -> provider.newNameResolver(URI.create(target), ARGS))
          .as(target)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "target must look like lb:///GROUP or lb:///HOST:PORT,HOST:PORT but was '"
                  + target
                  + "'");
    }
  }

  @Test
  void staticList_parsesEntriesAndOptions() {
    List<Endpoint> endpoints =
        LbNameResolverProvider.parseStaticList(
            "10.0.0.1:80;weight=3;zone=eu-1a, [::1]:8080;priority=1,host.example:9090");

    assertThat(endpoints)
        .containsExactly(
            Endpoint.builder("10.0.0.1", 80).weight(3).zone("eu-1a").build(),
            Endpoint.builder("::1", 8080).priority(1).build(),
            Endpoint.of("host.example", 9090));
  }

  @Test
  void staticList_backupOption() {
    List<Endpoint> endpoints =
        LbNameResolverProvider.parseStaticList("a:1,b:2;backup,c:3;backup=false,d:4;BACKUP=TRUE");
    assertThat(endpoints).extracting(Endpoint::backup).containsExactly(false, true, false, true);
    assertThatThrownBy(() -> LbNameResolverProvider.parseStaticList("a:1;backup=maybe"))
        .hasMessage("backup must be true or false but was 'maybe' in entry 'a:1;backup=maybe'");
  }

  @Test
  void staticList_badEntries_areRejected_quotingThem() {
    assertThatThrownBy(() -> LbNameResolverProvider.parseStaticList("10.0.0.1"))
        .hasMessage(
            "static target entries must be HOST:PORT with a port in 1..65535 but one was"
                + " '10.0.0.1'");
    assertThatThrownBy(() -> LbNameResolverProvider.parseStaticList("10.0.0.1:0"))
        .hasMessageContaining("but one was '10.0.0.1:0'");
    assertThatThrownBy(() -> LbNameResolverProvider.parseStaticList("a:1,"))
        .hasMessageContaining("but one was ''");
    assertThatThrownBy(() -> LbNameResolverProvider.parseStaticList("a:http"))
        .hasMessage("port must be an integer but was 'http' in entry 'a:http'");
    assertThatThrownBy(() -> LbNameResolverProvider.parseStaticList("a:1;weight=0"))
        .hasMessage("weight must be positive but was 0");
    assertThatThrownBy(() -> LbNameResolverProvider.parseStaticList("a:1;color=red"))
        .hasMessage(
            "static target options must be weight, zone, priority or backup but entry 'a:1;color=red' has"
                + " 'color=red'");
  }

  @Test
  void builder_validatesItsOptions() {
    assertThatThrownBy(() -> LbNameResolverProvider.builder().scheme("1lb"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("scheme must be a URI scheme such as 'lb' but was '1lb'");
    assertThatThrownBy(() -> LbNameResolverProvider.builder().scheme(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("scheme must not be null");
    assertThatThrownBy(() -> LbNameResolverProvider.builder().registry(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("registry must not be null");
    assertThatThrownBy(() -> LbNameResolverProvider.builder().addresses(null, e -> null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("type must not be null");
    assertThatThrownBy(
            () -> LbNameResolverProvider.builder().addresses(InetSocketAddress.class, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("addresses must not be null");
    LbNameResolverProvider custom =
        LbNameResolverProvider.builder()
            .scheme("LB-Test")
            .addresses(InProcessSocketAddress.class, e -> new InProcessSocketAddress(e.host()))
            .build();
    assertThat(custom.getDefaultScheme()).isEqualTo("lb-test");
    assertThat(custom.getProducedSocketAddressTypes())
        .containsExactly(InProcessSocketAddress.class);
  }

  @Test
  void attributes_carryTheEndpoint_andEndpointsComeBackFromAnyResolversGroups() {
    Endpoint e = Endpoint.builder("10.0.0.1", 80).weight(4).zone("z").priority(2).build();
    EquivalentAddressGroup group =
        LbAttributes.addressGroup(e, new InetSocketAddress("10.0.0.1", 80));

    assertThat(group.getAttributes().get(LbAttributes.WEIGHT)).isEqualTo(4);
    assertThat(group.getAttributes().get(LbAttributes.ZONE)).isEqualTo("z");
    assertThat(group.getAttributes().get(LbAttributes.PRIORITY)).isEqualTo(2);
    assertThat(LbAttributes.endpointOf(group)).isSameAs(e);

    EquivalentAddressGroup plain =
        new EquivalentAddressGroup(new InetSocketAddress("10.0.0.9", 81));
    assertThat(LbAttributes.endpointOf(plain)).isEqualTo(Endpoint.of("10.0.0.9", 81));

    EquivalentAddressGroup weighted =
        new EquivalentAddressGroup(
            new InetSocketAddress("10.0.0.9", 81),
            Attributes.newBuilder()
                .set(LbAttributes.WEIGHT, 3)
                .set(LbAttributes.ZONE, "z2")
                .set(LbAttributes.PRIORITY, 1)
                .build());
    assertThat(LbAttributes.endpointOf(weighted))
        .isEqualTo(Endpoint.builder("10.0.0.9", 81).weight(3).zone("z2").priority(1).build());

    EquivalentAddressGroup inProcess =
        new EquivalentAddressGroup(new InProcessSocketAddress("server-1"));
    assertThat(LbAttributes.endpointOf(inProcess).id()).isEqualTo("server-1");
  }
}

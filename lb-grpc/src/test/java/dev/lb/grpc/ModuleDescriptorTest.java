package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module descriptor agrees with the class-path registration: every provider listed in {@code
 * META-INF/services} is provided by the module too, so gRPC finds the same policies and resolver on
 * the module path as on the class path.
 */
class ModuleDescriptorTest {
  private static ModuleDescriptor descriptor() throws IOException {
    try (InputStream in = Files.newInputStream(Path.of("target/classes/module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  private static List<String> services(String service) throws IOException {
    return Files.readAllLines(
            Path.of("src/main/resources/META-INF/services/" + service), StandardCharsets.UTF_8)
        .stream()
        .map(String::trim)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  private static List<String> provided(ModuleDescriptor d, String service) {
    return d.provides().stream()
        .filter(p -> p.service().equals(service))
        .flatMap(p -> p.providers().stream())
        .toList();
  }

  @Test
  void providers_matchMetaInfServices() throws IOException {
    ModuleDescriptor d = descriptor();

    assertThat(provided(d, "io.grpc.LoadBalancerProvider"))
        .hasSize(19)
        .containsExactlyInAnyOrderElementsOf(services("io.grpc.LoadBalancerProvider"));
    assertThat(provided(d, "io.grpc.NameResolverProvider"))
        .containsExactlyElementsOf(services("io.grpc.NameResolverProvider"));
  }

  @Test
  void module_exportsOnlyTheApi_andReadsGrpcApiByItsAutomaticModuleName() throws IOException {
    ModuleDescriptor d = descriptor();

    assertThat(d.name()).isEqualTo("dev.lb.grpc");
    assertThat(d.exports())
        .extracting(ModuleDescriptor.Exports::source)
        .containsExactly("dev.lb.grpc");
    Set<String> requires =
        d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
    assertThat(requires).contains("dev.lb.core", "io.grpc", "org.jspecify");
    // Beyond grpc-api, only gRPC's optional ORCA API, read statically (absent unless added).
    assertThat(
            d.requires().stream()
                .filter(r -> r.name().startsWith("io.grpc."))
                .filter(r -> !r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC))
                .map(ModuleDescriptor.Requires::name))
        .isEmpty();
  }
}

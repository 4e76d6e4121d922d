package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileEndpointSourceTest {
  @TempDir Path dir;

  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final LoadBalancer balancer =
      Fixtures.balancer(Strategies.roundRobin(), List.of(), 1, ticker);
  private final RecordingListener listener = new RecordingListener();

  private static final String TWO =
      """
      {"endpoints": [
        {"host": "10.0.0.1", "port": 8080, "id": "a"},
        {"host": "10.0.0.2", "port": 8080, "id": "b", "weight": 3}
      ]}
      """;
  private static final String THREE =
      """
      {"endpoints": [
        {"host": "10.0.0.1", "port": 8080, "id": "a"},
        {"host": "10.0.0.2", "port": 8080, "id": "b", "weight": 3},
        {"host": "10.0.0.3", "port": 8080, "id": "c", "zone": "z1"}
      ]}
      """;

  private DiscoveryBinding bind(Path file) {
    FileEndpointSource source =
        FileEndpointSource.builder(file)
            .scheduler(scheduler)
            .executor(Runnable::run)
            .random(new SplittableRandom(5))
            .refresh(RefreshPolicy.builder().interval(Duration.ofSeconds(2)).jitter(0.1).build())
            .build();
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
  }

  private static void write(Path file, String content) throws IOException {
    Files.writeString(file, content, StandardCharsets.UTF_8);
  }

  /** Writes beside the file and renames over it, as a careful writer does. */
  private static void writeAtomically(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private List<String> ids() {
    return balancer.endpoints().stream().map(Endpoint::id).toList();
  }

  @Test
  void start_readsTheFile() throws IOException {
    Path file = dir.resolve("users.json");
    write(file, TWO);
    DiscoveryBinding binding = bind(file);
    scheduler.runDue();

    assertThat(ids()).containsExactly("a", "b");
    assertThat(balancer.endpoints().get(1).weight()).isEqualTo(3);
    assertThat(binding.status().isHealthy()).isTrue();
    assertThat(binding.status().source()).isEqualTo("file:" + file);
  }

  @Test
  void edit_isAppliedOnTheNextPoll_unchangedContentIsNotReapplied() throws IOException {
    Path file = dir.resolve("users.json");
    write(file, TWO);
    bind(file);
    scheduler.runDue();
    scheduler.advance(Duration.ofSeconds(10)); // several polls, same content
    assertThat(listener.events).containsExactly("updated 2 changed");

    writeAtomically(file, THREE);
    scheduler.advance(Duration.ofMillis(2200));
    assertThat(ids()).containsExactly("a", "b", "c");
    assertThat(balancer.endpoints().get(2).zone()).isEqualTo("z1");
  }

  @Test
  void partialWrite_isReportedAndIgnored_thenTheCompleteFileApplies() throws IOException {
    Path file = dir.resolve("users.json");
    write(file, TWO);
    DiscoveryBinding binding = bind(file);
    scheduler.runDue();

    write(file, THREE.substring(0, THREE.length() / 2)); // a writer caught halfway
    scheduler.advance(Duration.ofMillis(2200));
    assertThat(ids()).containsExactly("a", "b");
    assertThat(binding.status().consecutiveFailures()).isEqualTo(1);
    assertThat(binding.status().lastError())
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("invalid JSON");

    write(file, THREE); // the writer finished
    scheduler.advance(Duration.ofMillis(2200));
    assertThat(ids()).containsExactly("a", "b", "c");
    assertThat(listener.events)
        .containsExactly(
            "updated 2 changed", "failed#1 kept 2", "recovered after 1", "updated 3 changed");
  }

  @Test
  void invalidContent_namesTheEntry_andTheSameContentIsReportedOnce() throws IOException {
    Path file = dir.resolve("users.json");
    write(file, TWO);
    DiscoveryBinding binding = bind(file);
    scheduler.runDue();

    write(file, "{\"endpoints\": [{\"host\": \"10.0.0.9\", \"port\": 0}]}");
    scheduler.advance(Duration.ofSeconds(10));
    assertThat(ids()).containsExactly("a", "b");
    assertThat(binding.status().consecutiveFailures()).isEqualTo(1);
    assertThat(binding.status().lastError())
        .hasMessageContaining("endpoints[0]: port must be in 1..65535 but was 0");
  }

  @Test
  void missingFile_isAFailure_thenItsCreationApplies() throws IOException {
    Path file = dir.resolve("later.properties");
    DiscoveryBinding binding = bind(file);
    scheduler.runDue();
    assertThat(binding.status().lastError())
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("endpoint file not found");

    writeAtomically(file, "endpoint.a=10.0.0.1:8080\nendpoint.b=[::1]:9090\n");
    scheduler.advance(Duration.ofMillis(2200));
    assertThat(ids()).containsExactly("a", "b");
    assertThat(balancer.endpoints().get(1).host()).isEqualTo("::1");
  }

  @Test
  void deletedFile_keepsTheLastGoodSet() throws IOException {
    Path file = dir.resolve("users.json");
    write(file, TWO);
    DiscoveryBinding binding = bind(file);
    scheduler.runDue();
    Files.delete(file);
    scheduler.advance(Duration.ofMillis(2200));
    assertThat(ids()).containsExactly("a", "b");
    assertThat(binding.status().consecutiveFailures()).isEqualTo(1);
  }

  @Test
  void notUtf8_isAFailure() throws IOException {
    Path file = dir.resolve("users.json");
    Files.write(file, new byte[] {'{', (byte) 0xff, '}'});
    DiscoveryBinding binding = bind(file);
    scheduler.runDue();
    assertThat(binding.status().lastError()).hasMessageContaining("not valid UTF-8");
  }

  @Test
  void tooLarge_isAFailure() throws IOException {
    Path file = dir.resolve("users.json");
    Files.write(file, new byte[FileEndpointSource.MAX_BYTES + 1]);
    DiscoveryBinding binding = bind(file);
    scheduler.runDue();
    assertThat(binding.status().lastError()).hasMessageContaining("larger than");
  }

  @Test
  void format_followsTheExtension_orMustBeSet() {
    assertThatThrownBy(() -> FileEndpointSource.builder(dir.resolve("endpoints.txt")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format must be set for file")
        .hasMessageContaining("endpoints.txt");
    FileEndpointSource source =
        FileEndpointSource.builder(dir.resolve("endpoints.txt"))
            .format(EndpointFileFormat.PROPERTIES)
            .build();
    assertThat(source.name()).endsWith("endpoints.txt");
    assertThat(source.toString()).contains("endpoints.txt");
    source.close();
  }

  @Test
  void invalidOptions_failWithTheOptionName() {
    assertThatThrownBy(() -> FileEndpointSource.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("file must not be null");
    FileEndpointSource.Builder b = FileEndpointSource.builder(dir.resolve("x.json"));
    assertThatThrownBy(() -> b.format(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("format must not be null");
    assertThatThrownBy(() -> b.refresh(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("refresh must not be null");
    assertThatThrownBy(() -> b.scheduler(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("scheduler must not be null");
    assertThatThrownBy(() -> b.executor(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("executor must not be null");
    assertThatThrownBy(() -> b.random(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("random must not be null");
  }
}

package dev.lb.discovery;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Endpoint;
import dev.lb.Scheduler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from a JSON or properties file ({@link EndpointFileFormat}), re-read whenever it
 * changes: a configuration-management tool, a sidecar or an operator edits the file and the
 * balancer follows.
 *
 * <pre>{@code
 * EndpointSource file = FileEndpointSource.builder(Path.of("/etc/lb/users.json")).build();
 * DiscoveryBinding binding = DiscoveryBinding.bind(file, balancer);
 * }</pre>
 *
 * <h2>Watching by polling</h2>
 *
 * <p>The file is read on a {@link RefreshPolicy} (default every 5 s, jitter 0.2) and applied when
 * its content changed (a SHA-256 digest of the bytes is compared; modification times are not
 * trusted, as they have a coarse resolution on some file systems and can be preserved by copies).
 * Polling instead of a {@link java.nio.file.WatchService} because the watch service misses what
 * matters here: on macOS it is itself a 2–10 s poll, on network and bind-mounted file systems
 * (Docker volumes, NFS) it reports nothing, and it watches a directory entry, while a Kubernetes
 * ConfigMap is updated by swapping a symbolic link in the parent directory. Reading a small file
 * every few seconds costs nothing, works everywhere and runs on the injectable {@link Scheduler},
 * so tests drive it with fake time.
 *
 * <h2>Safe with atomic renames, partial writes and mistakes</h2>
 *
 * <p>Every poll opens the path afresh, so a file replaced by renaming a new one over it (the safe
 * way to write it) is read whole, old or new. Content that does not parse (a JSON document cut
 * short by a writer that has not finished, a typo, a bad port) is reported as a failure naming the
 * line or entry, and the last good set stays in use; when the writer finishes, the next poll
 * applies the complete file. A missing or unreadable file is a failure too. The same content is
 * reported once, not on every poll: a failure streak counts changes, not polls.
 *
 * <p>Files larger than 16 MiB are rejected. Thread-safe. Reads run one at a time on the {@link
 * Builder#executor executor}; timing runs on the {@link Builder#scheduler scheduler}.
 */
public final class FileEndpointSource implements EndpointSource {
  static final int MAX_BYTES = 16 << 20;

  private final String name;
  private final Poller poller;

  private FileEndpointSource(String name, Poller poller) {
    this.name = name;
    this.poller = poller;
  }

  /**
   * Returns a builder for the file at {@code file}; its format follows the extension ({@code .json}
   * or {@code .properties}) unless {@link Builder#format set}.
   *
   * @param file the file to read; it need not exist yet
   * @return a new builder with the defaults
   * @throws NullPointerException if {@code file} is null
   */
  public static Builder builder(Path file) {
    return new Builder(checkNotNull(file, "file"));
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(EndpointSink sink) {
    poller.start(sink, name);
  }

  @Override
  public void close() {
    poller.close();
  }

  @Override
  public String toString() {
    return "FileEndpointSource{" + name + '}';
  }

  /** One poll: read, compare with the last content seen, parse if it changed. */
  static final class Reader {
    private final Path file;
    private final EndpointFileFormat format;
    private byte @Nullable [] lastSeen;

    Reader(Path file, EndpointFileFormat format) {
      this.file = file;
      this.format = format;
    }

    @Nullable List<Endpoint> read() throws IOException {
      byte[] content;
      try {
        content = readBounded();
      } catch (IOException e) {
        // Remember the failure itself, so that the same missing file is reported once.
        byte[] seen = digest(e.toString().getBytes(StandardCharsets.UTF_8));
        if (Arrays.equals(seen, lastSeen)) {
          return null;
        }
        lastSeen = seen;
        if (e instanceof NoSuchFileException) {
          throw new NoSuchFileException(file.toString(), null, "endpoint file not found");
        }
        throw e;
      }
      byte[] seen = digest(content);
      if (Arrays.equals(seen, lastSeen)) {
        return null;
      }
      lastSeen = seen;
      String text;
      try {
        text =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(content))
                .toString();
      } catch (CharacterCodingException e) {
        throw new IOException(file + ": not valid UTF-8", e);
      }
      try {
        return format.parse(text);
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": " + e.getMessage(), e);
      }
    }

    private byte[] readBounded() throws IOException {
      try (InputStream in = Files.newInputStream(file)) {
        byte[] content = in.readNBytes(MAX_BYTES + 1);
        if (content.length > MAX_BYTES) {
          throw new IOException(file + ": larger than " + MAX_BYTES + " bytes");
        }
        return content;
      }
    }

    private static byte[] digest(byte[] content) {
      try {
        return MessageDigest.getInstance("SHA-256").digest(content);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }
  }

  /** Builds a {@link FileEndpointSource}. Not thread-safe; every setter validates at once. */
  public static final class Builder {
    private final Path file;
    private @Nullable EndpointFileFormat format;
    private RefreshPolicy refresh =
        RefreshPolicy.builder()
            .interval(Duration.ofSeconds(5))
            .floor(Duration.ofMillis(100))
            .build();
    private Scheduler scheduler = Scheduler.systemScheduler();
    private @Nullable Executor executor;
    private @Nullable RandomGenerator random;

    private Builder(Path file) {
      this.file = file;
    }

    /**
     * Sets the file's format. Defaults to the one its extension names.
     *
     * @param format the format; must not be null
     * @return this builder
     * @throws NullPointerException if {@code format} is null
     */
    public Builder format(EndpointFileFormat format) {
      this.format = checkNotNull(format, "format");
      return this;
    }

    /**
     * Sets how often the file is read. Defaults to every 5 seconds, jitter 0.2, floor 100 ms.
     *
     * @param refresh the refresh policy; must not be null
     * @return this builder
     * @throws NullPointerException if {@code refresh} is null
     */
    public Builder refresh(RefreshPolicy refresh) {
      this.refresh = checkNotNull(refresh, "refresh");
      return this;
    }

    /**
     * Sets the scheduler that times the reads. Defaults to {@link Scheduler#systemScheduler()}.
     *
     * @param scheduler the scheduler; must not be null
     * @return this builder
     * @throws NullPointerException if {@code scheduler} is null
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = checkNotNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the executor that reads the file. Defaults to a shared pool of daemon threads named
     * {@code lb-discovery-N}.
     *
     * @param executor the executor; must not be null
     * @return this builder
     * @throws NullPointerException if {@code executor} is null
     */
    public Builder executor(Executor executor) {
      this.executor = checkNotNull(executor, "executor");
      return this;
    }

    /**
     * Sets the random source of the refresh jitter. Defaults to a new unseeded generator.
     *
     * @param random the generator; must not be null; used from one thread at a time
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public Builder random(RandomGenerator random) {
      this.random = checkNotNull(random, "random");
      return this;
    }

    /**
     * Returns the source; it does nothing until started (usually by a {@link DiscoveryBinding}).
     *
     * @return a new source
     * @throws IllegalArgumentException if no format was set and the file name ends in neither
     *     {@code .json} nor {@code .properties}
     */
    public FileEndpointSource build() {
      EndpointFileFormat f = format != null ? format : formatOf(file);
      Reader reader = new Reader(file, f);
      Poller poller =
          new Poller(
              refresh,
              scheduler,
              executor != null ? executor : DiscoveryExecutor.shared(),
              random != null ? random : RandomGenerator.of("L64X128MixRandom"),
              reader::read);
      return new FileEndpointSource("file:" + file, poller);
    }

    private static EndpointFileFormat formatOf(Path file) {
      Path fileName = file.getFileName();
      String n = fileName == null ? "" : fileName.toString().toLowerCase(Locale.ROOT);
      if (n.endsWith(".json")) {
        return EndpointFileFormat.JSON;
      }
      if (n.endsWith(".properties")) {
        return EndpointFileFormat.PROPERTIES;
      }
      throw new IllegalArgumentException(
          "format must be set for file '"
              + file
              + "': its name ends in neither .json nor .properties");
    }
  }
}

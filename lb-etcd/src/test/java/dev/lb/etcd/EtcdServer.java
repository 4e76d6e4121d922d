package dev.lb.etcd;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real etcd server (Debian's {@code etcd-server} package, which {@code .ci/run} installs) on
 * 127.0.0.1, with its own data directory in a temporary folder, started and stopped by this handle.
 * Missing binary: the test fails and says how to install it; it is never skipped.
 */
final class EtcdServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private final Path dataRoot;
  private final int clientPort;
  private final int peerPort;
  private Process process;

  private EtcdServer(Path dataRoot, int clientPort, int peerPort) {
    this.dataRoot = dataRoot;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
  }

  static EtcdServer start() throws IOException, InterruptedException {
    EtcdServer server =
        new EtcdServer(Files.createTempDirectory("lb-etcd-test"), freePort(), freePort());
    server.startProcess();
    return server;
  }

  static String binary() {
    String configured = System.getenv("ETCD_BIN");
    for (String candidate :
        configured != null
            ? List.of(configured)
            : List.of("/usr/bin/etcd", "/usr/local/bin/etcd")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    throw new AssertionError(
        "no etcd binary (looked for $ETCD_BIN, /usr/bin/etcd, /usr/local/bin/etcd): install Debian's"
            + " etcd-server package (apt-get install -y etcd-server), as .ci/run does");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  String endpoint() {
    return "http://127.0.0.1:" + clientPort;
  }

  int clientPort() {
    return clientPort;
  }

  /** Starts etcd (again, after {@link #kill}) on the same ports and data directory. */
  void startProcess() throws IOException, InterruptedException {
    String client = "http://127.0.0.1:" + clientPort;
    String peer = "http://127.0.0.1:" + peerPort;
    process =
        new ProcessBuilder(
                binary(),
                "--name",
                "lb-test",
                "--data-dir",
                dataRoot.resolve("data").toString(),
                "--listen-client-urls",
                client,
                "--advertise-client-urls",
                client,
                "--listen-peer-urls",
                peer,
                "--initial-advertise-peer-urls",
                peer,
                "--initial-cluster",
                "lb-test=" + peer,
                // Fast elections keep restarts short and allow 1-second leases in the tests.
                "--heartbeat-interval",
                "50",
                "--election-timeout",
                "500",
                "--logger",
                "zap",
                "--log-level",
                "error")
            .redirectErrorStream(true)
            .redirectOutput(dataRoot.resolve("etcd.log").toFile())
            .start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("etcd exited with " + process.exitValue() + ": " + log());
      }
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(URI.create(client + "/health"))
                    .timeout(Duration.ofMillis(500))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.body().contains("\"health\":\"true\"")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(20); // polling a starting process; no event announces readiness
    }
    throw new AssertionError("etcd did not become healthy within " + START_TIMEOUT + ": " + log());
  }

  /** Kills the process at once (SIGKILL), as a crash would; the data directory stays. */
  void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private String log() {
    try {
      return Files.readString(dataRoot.resolve("etcd.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws IOException {
    try {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dataRoot)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

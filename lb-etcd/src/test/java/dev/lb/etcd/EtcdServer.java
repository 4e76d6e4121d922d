package dev.lb.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A real etcd server (Debian's {@code etcd-server} package, which {@code .ci/run} installs) on
 * 127.0.0.1, with its own data directory in a temporary folder, started and stopped by this handle:
 * alone ({@link #start()}) or as one member of an {@link EtcdCluster}. Missing binary: the test
 * fails and says how to install it; it is never skipped.
 */
final class EtcdServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();
  // One for every server of the test run: each HttpClient runs its own selector thread.
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();

  private final String name;
  private final Path dataRoot;
  private final int clientPort;
  private final int peerPort;
  private final String clusterToken;
  private @Nullable String initialCluster;
  private @Nullable Process process;

  private EtcdServer(
      String name, Path dataRoot, int clientPort, int peerPort, String clusterToken) {
    this.name = name;
    this.dataRoot = dataRoot;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.clusterToken = clusterToken;
  }

  /** Starts a single-member cluster and waits until it answers. */
  static EtcdServer start() throws IOException, InterruptedException {
    int[] ports = freePorts(2);
    EtcdServer server =
        new EtcdServer(
            "lb-test",
            Files.createTempDirectory("lb-etcd-test"),
            ports[0],
            ports[1],
            "lb-test-" + ports[1]);
    server.initialCluster = server.name + "=" + server.peerUrl();
    server.startProcess();
    return server;
  }

  /**
   * A member of a cluster that is not started yet: {@link #join} tells it the whole cluster, then
   * {@link #launch} and {@link #awaitHealthy} start it (a member is healthy only once a quorum
   * runs, so a cluster launches every member before it waits for any).
   */
  static EtcdServer member(String name, int clientPort, int peerPort, String clusterToken)
      throws IOException {
    return new EtcdServer(
        name, Files.createTempDirectory("lb-etcd-" + name), clientPort, peerPort, clusterToken);
  }

  /** Sets {@code --initial-cluster}: {@code name=peerUrl} of every member, comma-separated. */
  void join(String initialCluster) {
    this.initialCluster = initialCluster;
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

  /**
   * {@code n} distinct free ports on the loopback interface, all held open at once so that none is
   * handed out twice (etcd binds them a moment later; another process could take one meanwhile,
   * which the start then reports as etcd's exit).
   */
  static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  String name() {
    return name;
  }

  String endpoint() {
    return "http://127.0.0.1:" + clientPort;
  }

  String peerUrl() {
    return "http://127.0.0.1:" + peerPort;
  }

  int clientPort() {
    return clientPort;
  }

  boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Starts etcd (again, after {@link #kill}) on the same ports and data directory. */
  void startProcess() throws IOException, InterruptedException {
    launch();
    awaitHealthy();
  }

  /**
   * Starts the etcd process (again, after {@link #kill}) on the same ports and data directory,
   * without waiting for it. With a data directory from an earlier run, etcd ignores {@code
   * --initial-cluster-state new} and rejoins as the member it was.
   */
  void launch() throws IOException {
    if (initialCluster == null) {
      throw new IllegalStateException("member " + name + " was not told its cluster (join)");
    }
    if (isAlive()) {
      throw new IllegalStateException("member " + name + " is already running");
    }
    String client = endpoint();
    String peer = peerUrl();
    process =
        new ProcessBuilder(
                binary(),
                "--name",
                name,
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
                initialCluster,
                "--initial-cluster-token",
                clusterToken,
                "--initial-cluster-state",
                "new",
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
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dataRoot.resolve("etcd.log").toFile()))
            .start();
  }

  /**
   * Waits until the member reports itself healthy ({@code /health}: it has a leader and a quorum
   * read succeeds), at most {@link #START_TIMEOUT}.
   */
  void awaitHealthy() throws InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Process p = process;
      if (p == null || !p.isAlive()) {
        throw new AssertionError(
            "etcd member "
                + name
                + (p == null ? " was never started" : " exited with " + p.exitValue())
                + ": "
                + log());
      }
      try {
        HttpResponse<String> response =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(endpoint() + "/health"))
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
    throw new AssertionError(
        "etcd member " + name + " did not become healthy within " + START_TIMEOUT + ": " + log());
  }

  /**
   * What the member itself says about its raft state (the maintenance Status RPC through etcd's
   * HTTP gateway): its own id and the id of the leader it follows, {@code "0"} if none.
   */
  RaftStatus status() throws IOException, InterruptedException {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(endpoint() + "/v3/maintenance/status"))
                .timeout(Duration.ofSeconds(1))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "status of " + name + ": HTTP " + response.statusCode() + " " + response.body());
    }
    JsonNode body = JSON.readTree(response.body());
    return new RaftStatus(
        body.path("header").path("member_id").asText("0"), body.path("leader").asText("0"));
  }

  /** A member's raft view: ids as etcd prints them (unsigned 64-bit, decimal). */
  record RaftStatus(String memberId, String leaderId) {
    boolean hasLeader() {
      return !leaderId.equals("0");
    }

    boolean isLeader() {
      return hasLeader() && leaderId.equals(memberId);
    }
  }

  /** Kills the process at once (SIGKILL), as a crash would; the data directory stays. */
  void kill() throws InterruptedException {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        throw new AssertionError("etcd member " + name + " did not exit within 10 s of SIGKILL");
      }
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

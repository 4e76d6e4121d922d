package dev.lb.discovery;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real DNS server for tests: Debian's dnsmasq ({@code dnsmasq-base}), in the foreground, on
 * 127.0.0.1 and a free unprivileged port, with its own configuration and hosts file (never the
 * system's resolv.conf, hosts or upstream servers). Names under {@code .test} that it does not know
 * are answered NXDOMAIN. Always {@link #close() close} it (try-with-resources).
 *
 * <p>A records come from the hosts file ({@link #hosts}, reloaded with SIGHUP by {@link #reload});
 * SRV records from the configuration ({@link #srv}), which dnsmasq reads only at start, so they
 * take a {@link #restart}.
 */
final class Dnsmasq implements AutoCloseable {
  private final Path dir;
  private final Path executable;
  private final int port;
  private List<String> srvLines = List.of();
  private int localTtl = 0;
  private Process process;

  private Dnsmasq(Path executable, Path dir) throws IOException {
    this.executable = executable;
    this.dir = dir;
    this.port = freePort();
    hosts("");
  }

  /**
   * Prepares a server in {@code dir}. Without dnsmasq the calling test is skipped locally, with a
   * message, and fails when the environment variable {@code CI} is set: CI installs it.
   */
  static Dnsmasq in(Path dir) throws IOException {
    Path exe = find();
    if (exe == null) {
      String msg =
          "dnsmasq is not installed (Debian: apt-get install dnsmasq-base; .ci/run does this)";
      if (System.getenv("CI") != null) {
        fail(msg + "; CI is set, so the DNS tests must run");
      }
      Assumptions.abort(msg + "; skipping the real-DNS tests locally");
    }
    return new Dnsmasq(exe, dir);
  }

  private static Path find() {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator, -1)));
    }
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/local/sbin"));
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(d, "dnsmasq");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  int port() {
    return port;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  /** Replaces the hosts file (A and AAAA records); applied at start or on {@link #reload}. */
  void hosts(String content) throws IOException {
    Path tmp = dir.resolve("hosts.tmp");
    Files.writeString(tmp, "127.0.0.1 ready.test\n" + content, StandardCharsets.UTF_8);
    Files.move(tmp, dir.resolve("hosts"), StandardCopyOption.ATOMIC_MOVE);
  }

  /** Sets the SRV records, as {@code name,target,port,priority,weight}; applied at start. */
  void srv(List<String> lines) {
    this.srvLines = List.copyOf(lines);
  }

  /** The TTL of its answers, in seconds (dnsmasq's own default is 0); applied at start. */
  void localTtl(int seconds) {
    this.localTtl = seconds;
  }

  void start() throws IOException {
    List<String> conf = new ArrayList<>();
    conf.add("port=" + port);
    conf.add("listen-address=127.0.0.1");
    conf.add("bind-interfaces");
    conf.add("no-resolv");
    conf.add("no-hosts");
    conf.add("addn-hosts=" + dir.resolve("hosts").toAbsolutePath());
    conf.add("local=/test/");
    conf.add("user=" + System.getProperty("user.name"));
    conf.add("log-queries");
    conf.add("local-ttl=" + localTtl);
    for (String s : srvLines) {
      conf.add("srv-host=" + s);
    }
    Path confFile = dir.resolve("dnsmasq.conf");
    Files.write(confFile, conf, StandardCharsets.UTF_8);
    ProcessBuilder pb =
        new ProcessBuilder(
                executable.toString(),
                "--keep-in-foreground",
                "--conf-file=" + confFile.toAbsolutePath(),
                "--pid-file=",
                "--log-facility=-")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dnsmasq.log").toFile()));
    process = pb.start();
    JndiDnsResolver probe = new JndiDnsResolver(List.of(address()), Duration.ofMillis(100), 0);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Exception lastProbeError = null;
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("dnsmasq exited at start: " + log());
      }
      try {
        if (!probe.records("ready.test", "A").isEmpty()) {
          return;
        }
      } catch (javax.naming.NamingException e) {
        lastProbeError = e; // not listening yet
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IOException(
            "dnsmasq did not answer within 10 s (" + lastProbeError + "): " + log());
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
    }
  }

  /** SIGHUP: dnsmasq clears its cache and re-reads the hosts file. */
  void reload() throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -HUP failed");
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  void restart() throws IOException {
    stop();
    start();
  }

  String log() {
    try {
      return Files.readString(dir.resolve("dnsmasq.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both). */
  private static int freePort() throws IOException {
    InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    for (int attempt = 0; attempt < 50; attempt++) {
      try (ServerSocket tcp = new ServerSocket(0, 1, loopback);
          DatagramSocket udp =
              new DatagramSocket(new InetSocketAddress(loopback, tcp.getLocalPort()))) {
        return udp.getLocalPort();
      } catch (IOException e) {
        // UDP side taken: try another
      }
    }
    throw new IOException("no free port for dnsmasq on 127.0.0.1");
  }
}

package dev.lb.health;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Endpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Checks that an endpoint accepts TCP connections: connects to its host and port, then closes.
 * Catches dead processes and unreachable hosts, not an application that accepts connections but
 * cannot serve; use an HTTP or gRPC checker for that.
 *
 * <p>Non-blocking: it connects with an {@link AsynchronousSocketChannel}. The host name is resolved
 * on each check by the JDK resolver (and its cache). Thread-safe and stateless.
 */
public final class TcpHealthChecker implements HealthChecker {
  private static final TcpHealthChecker INSTANCE = new TcpHealthChecker();

  private TcpHealthChecker() {}

  /**
   * The TCP-connect checker.
   *
   * @return the shared, stateless instance
   */
  public static TcpHealthChecker create() {
    return INSTANCE;
  }

  /**
   * {@inheritDoc}
   *
   * @throws NullPointerException if {@code endpoint} or {@code timeout} is null
   */
  @Override
  public CompletionStage<HealthCheckResult> check(Endpoint endpoint, Duration timeout) {
    checkNotNull(endpoint, "endpoint");
    checkNotNull(timeout, "timeout");
    CompletableFuture<HealthCheckResult> result = new CompletableFuture<>();
    AsynchronousSocketChannel channel;
    try {
      channel = AsynchronousSocketChannel.open();
    } catch (IOException e) {
      result.complete(HealthCheckResult.unhealthy("cannot open socket: " + e));
      return result;
    }
    InetSocketAddress address = new InetSocketAddress(endpoint.host(), endpoint.port());
    if (address.isUnresolved()) {
      closeQuietly(channel);
      result.complete(HealthCheckResult.unhealthy("cannot resolve " + endpoint.host()));
      return result;
    }
    // The balancer enforces the timeout; closing the channel then aborts a pending connect.
    CompletableFuture<HealthCheckResult> unused =
        result.whenComplete((r, e) -> closeQuietly(channel));
    channel.connect(
        address,
        null,
        new CompletionHandler<Void, Void>() {
          @Override
          public void completed(Void ignored, Void attachment) {
            result.complete(HealthCheckResult.healthy());
          }

          @Override
          public void failed(Throwable e, Void attachment) {
            result.complete(HealthCheckResult.unhealthy("connect failed: " + e));
          }
        });
    return result;
  }

  private static void closeQuietly(AsynchronousSocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing to do: the check is over
    }
  }

  @Override
  public String toString() {
    return "TcpHealthChecker";
  }
}

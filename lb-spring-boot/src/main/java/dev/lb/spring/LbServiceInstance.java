package dev.lb.spring;

import static java.util.Objects.requireNonNull;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.http.HttpStatusCode;

/**
 * The instance lb picked for one Spring Cloud LoadBalancer call: the endpoint, and the call's
 * {@link Lease}, which Spring's lifecycle callbacks report when the call completes (see {@link
 * LbServiceInstanceLoadBalancer}). One instance per call; never cached or reused.
 *
 * <p>Thread-safe: the lease reports once, whichever thread completes the call first.
 */
public final class LbServiceInstance implements ServiceInstance {
  private final String serviceId;
  private final boolean secure;
  private final Lease lease;
  private final LoadBalancer balancer;
  private final long startNanos;

  LbServiceInstance(String serviceId, boolean secure, Lease lease, LoadBalancer balancer) {
    this.serviceId = serviceId;
    this.secure = secure;
    this.lease = lease;
    this.balancer = balancer;
    this.startNanos = balancer.ticker().read();
  }

  /**
   * The endpoint lb picked.
   *
   * @return the endpoint
   */
  public Endpoint endpoint() {
    return lease.endpoint();
  }

  /**
   * Whether the call's outcome was reported to lb (by Spring's completion callback, or by {@link
   * #complete}).
   *
   * @return true once reported
   */
  public boolean isReported() {
    return lease.isReported();
  }

  /**
   * Reports the call's outcome to lb as Spring Cloud LoadBalancer describes it: {@code SUCCESS}
   * with a 5xx response is a failure, any other {@code SUCCESS} a success, {@code FAILED} a failure
   * carrying its exception, {@code DISCARD} a cancellation. Only the first report counts; later
   * ones return false and change nothing, so the lease is released exactly once.
   *
   * @param context Spring's completion context for this call
   * @return true if this report was the one that counted
   * @throws NullPointerException if {@code context} is null
   */
  public boolean complete(CompletionContext<?, ?, ?> context) {
    requireNonNull(context, "context");
    long latency = Math.max(0, balancer.ticker().read() - startNanos);
    return switch (context.status()) {
      case DISCARD -> lease.onCancel();
      case FAILED -> lease.onFailure(latency, context.getThrowable());
      case SUCCESS -> {
        HttpStatusCode status = status(context.getClientResponse());
        yield (status != null && status.is5xxServerError())
            ? lease.onFailure(latency, new ServerErrorStatus(serviceId, status.value()))
            : lease.onSuccess(latency);
      }
    };
  }

  private static @Nullable HttpStatusCode status(@Nullable Object clientResponse) {
    return clientResponse instanceof ResponseData data ? data.getHttpStatus() : null;
  }

  @Override
  public String getInstanceId() {
    return lease.endpoint().id();
  }

  @Override
  public String getServiceId() {
    return serviceId;
  }

  @Override
  public String getHost() {
    return lease.endpoint().host();
  }

  @Override
  public int getPort() {
    return lease.endpoint().port();
  }

  @Override
  public boolean isSecure() {
    return secure;
  }

  @Override
  public URI getUri() {
    // Built here: ServiceInstance.createUri is Spring Cloud Commons 5 only (Cloud 2025.1).
    try {
      return new URI(secure ? "https" : "http", null, getHost(), getPort(), null, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("no URI for " + lease.endpoint().address(), e);
    }
  }

  @Override
  public Map<String, String> getMetadata() {
    return lease.endpoint().metadata();
  }

  @Override
  public String toString() {
    return "LbServiceInstance{" + serviceId + " " + lease.endpoint().address() + "}";
  }

  /** A 5xx response, as the failure lb records for the endpoint. No stack trace: it is a status. */
  static final class ServerErrorStatus extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ServerErrorStatus(String serviceId, int status) {
      super("HTTP " + status + " from " + serviceId, null, false, false);
    }
  }
}

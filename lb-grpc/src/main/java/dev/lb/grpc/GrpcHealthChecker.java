package dev.lb.grpc;

import dev.lb.Endpoint;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthChecker;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An lb-core {@link HealthChecker} that asks the standard gRPC health service ({@code
 * grpc.health.v1.Health/Check}): an endpoint is healthy when it answers {@code SERVING} for the
 * configured service name, and unhealthy when it answers anything else ({@code NOT_SERVING} drains
 * it), does not know the service ({@code NOT_FOUND}), or the RPC fails.
 *
 * <pre>{@code
 * HealthChecker checker = GrpcHealthChecker.builder(endpoint -> channels.forEndpoint(endpoint))
 *     .service("users.v1.Users")
 *     .build();
 * }</pre>
 *
 * <p>A server without a health service answers {@code UNIMPLEMENTED}; as in gRPC's own client-side
 * health checking (gRFC A17), that counts as healthy unless {@link
 * Builder#unimplementedIsHealthy(boolean)} says otherwise.
 *
 * <p>The probe is one unary RPC with the probe's timeout as its deadline, started without blocking
 * on the endpoint's channel from the function given to {@link #builder}; the returned stage
 * completes on a gRPC thread. The two messages are encoded by hand (one string field, one enum
 * field), so lb-grpc needs no protobuf runtime. Immutable and thread-safe.
 */
public final class GrpcHealthChecker implements HealthChecker {
  /** The health service's Check method, with byte-array messages. */
  static final MethodDescriptor<byte[], byte[]> CHECK =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("grpc.health.v1.Health/Check")
          .setRequestMarshaller(BytesMarshaller.INSTANCE)
          .setResponseMarshaller(BytesMarshaller.INSTANCE)
          .setIdempotent(true)
          .build();

  private final Function<Endpoint, ? extends Channel> channels;
  private final String service;
  private final byte[] request;
  private final boolean unimplementedIsHealthy;

  private GrpcHealthChecker(Builder builder) {
    this.channels = builder.channels;
    this.service = builder.service;
    this.request = encodeRequest(builder.service);
    this.unimplementedIsHealthy = builder.unimplementedIsHealthy;
  }

  /**
   * Returns a builder for a checker that probes each endpoint over the channel {@code channels}
   * returns for it.
   *
   * @param channels returns the channel to probe an endpoint over (usually a cached channel per
   *     endpoint, which the application owns and shuts down); called on the probing thread, must be
   *     fast and must not block
   * @return a new builder for the overall health of the server (service name {@code ""})
   * @throws NullPointerException if {@code channels} is null
   */
  public static Builder builder(Function<Endpoint, ? extends Channel> channels) {
    return new Builder(Objects.requireNonNull(channels, "channels must not be null"));
  }

  /**
   * Starts one health check RPC to {@code endpoint}.
   *
   * @param endpoint the endpoint to probe
   * @param timeout the RPC's deadline
   * @return a stage completed with the probe's result on a gRPC thread; never completed
   *     exceptionally
   */
  @Override
  public CompletionStage<HealthCheckResult> check(Endpoint endpoint, Duration timeout) {
    CompletableFuture<HealthCheckResult> result = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call;
    try {
      Channel channel = channels.apply(endpoint);
      call =
          channel.newCall(
              CHECK,
              CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (RuntimeException e) {
      result.complete(HealthCheckResult.unhealthy("no channel to " + endpoint.id() + ": " + e));
      return result;
    }
    call.start(new ResponseListener(result), new Metadata());
    call.request(2); // one response, plus one to notice a second, as grpc-stub's unary calls do
    call.sendMessage(request);
    call.halfClose();
    return result;
  }

  /** Completes the probe's stage when the call closes. */
  private final class ResponseListener extends ClientCall.Listener<byte[]> {
    private final CompletableFuture<HealthCheckResult> result;
    private int servingStatus = -1;

    ResponseListener(CompletableFuture<HealthCheckResult> result) {
      this.result = result;
    }

    @Override
    public void onMessage(byte[] message) {
      try {
        servingStatus = decodeServingStatus(message);
      } catch (IllegalArgumentException e) {
        result.complete(
            HealthCheckResult.unhealthy("malformed health response: " + e.getMessage()));
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      result.complete(toResult(status, servingStatus));
    }
  }

  /** Maps the RPC's status and the response's serving status (-1 if none) to a probe result. */
  HealthCheckResult toResult(Status status, int servingStatus) {
    if (status.isOk()) {
      return switch (servingStatus) {
        case 1 -> HealthCheckResult.healthy();
        case 2 -> HealthCheckResult.unhealthy("NOT_SERVING");
        case 3 -> HealthCheckResult.unhealthy("SERVICE_UNKNOWN");
        case 0 -> HealthCheckResult.unhealthy("UNKNOWN");
        case -1 -> HealthCheckResult.unhealthy("no health response");
        default -> HealthCheckResult.unhealthy("serving status " + servingStatus);
      };
    }
    if (status.getCode() == Status.Code.UNIMPLEMENTED && unimplementedIsHealthy) {
      return HealthCheckResult.healthy();
    }
    if (status.getCode() == Status.Code.NOT_FOUND) {
      return HealthCheckResult.unhealthy("service '" + service + "' unknown to the server");
    }
    String description = status.getDescription();
    return HealthCheckResult.unhealthy(
        "health check RPC failed: "
            + status.getCode()
            + (description == null ? "" : " (" + description + ")"));
  }

  /** HealthCheckRequest: field 1, string {@code service}; omitted when empty, as proto3 does. */
  static byte[] encodeRequest(String service) {
    byte[] name = service.getBytes(StandardCharsets.UTF_8);
    if (name.length == 0) {
      return new byte[0];
    }
    byte[] length = varint(name.length);
    byte[] message = new byte[1 + length.length + name.length];
    message[0] = 0x0A; // field 1, wire type 2 (length-delimited)
    System.arraycopy(length, 0, message, 1, length.length);
    System.arraycopy(name, 0, message, 1 + length.length, name.length);
    return message;
  }

  /**
   * HealthCheckResponse: field 1, enum {@code status}; 0 (UNKNOWN) when absent, as proto3 omits
   * defaults. Unknown fields are skipped.
   *
   * @throws IllegalArgumentException if the bytes are not a well-formed message
   */
  static int decodeServingStatus(byte[] message) {
    int status = 0;
    int[] pos = {0};
    while (pos[0] < message.length) {
      long tag = readVarint(message, pos);
      int field = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      switch (wireType) {
        case 0 -> {
          long value = readVarint(message, pos);
          if (field == 1) {
            status = (int) value;
          }
        }
        case 1 -> skip(message, pos, 8);
        case 2 -> skip(message, pos, readVarint(message, pos));
        case 5 -> skip(message, pos, 4);
        default -> throw new IllegalArgumentException("unsupported wire type " + wireType);
      }
    }
    return status;
  }

  private static long readVarint(byte[] b, int[] pos) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= b.length) {
        throw new IllegalArgumentException("truncated varint");
      }
      byte next = b[pos[0]++];
      value |= (long) (next & 0x7F) << shift;
      if ((next & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("varint longer than 10 bytes");
  }

  private static void skip(byte[] b, int[] pos, long count) {
    if (count < 0 || count > b.length - pos[0]) {
      throw new IllegalArgumentException("truncated field");
    }
    pos[0] += (int) count;
  }

  private static byte[] varint(int value) {
    byte[] buffer = new byte[5];
    int n = 0;
    int v = value;
    while ((v & ~0x7F) != 0) {
      buffer[n++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buffer[n++] = (byte) v;
    byte[] out = new byte[n];
    System.arraycopy(buffer, 0, out, 0, n);
    return out;
  }

  @Override
  public String toString() {
    return "GrpcHealthChecker{service='" + service + "'}";
  }

  /** Passes message bytes through unchanged. */
  enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Builds a {@link GrpcHealthChecker}. Not thread-safe. */
  public static final class Builder {
    private final Function<Endpoint, ? extends Channel> channels;
    private String service = "";
    private boolean unimplementedIsHealthy = true;

    private Builder(Function<Endpoint, ? extends Channel> channels) {
      this.channels = channels;
    }

    /**
     * Sets the service name to ask about; defaults to {@code ""}, the server's overall health.
     *
     * @param service the fully qualified service name the server registered its status under, such
     *     as {@code users.v1.Users}; {@code ""} for the whole server
     * @return this builder
     * @throws NullPointerException if {@code service} is null
     */
    public Builder service(String service) {
      this.service =
          Objects.requireNonNull(service, "service must not be null (use \"\" for the server)");
      return this;
    }

    /**
     * Sets whether a server without the health service ({@code UNIMPLEMENTED}) counts as healthy.
     * Defaults to true, as gRPC's client-side health checking does.
     *
     * @param unimplementedIsHealthy true to treat {@code UNIMPLEMENTED} as healthy
     * @return this builder
     */
    public Builder unimplementedIsHealthy(boolean unimplementedIsHealthy) {
      this.unimplementedIsHealthy = unimplementedIsHealthy;
      return this;
    }

    /**
     * Returns the checker.
     *
     * @return a new checker with the options set on this builder
     */
    public GrpcHealthChecker build() {
      return new GrpcHealthChecker(this);
    }
  }
}

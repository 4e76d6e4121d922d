package dev.lb.grpc;

import static java.util.Objects.requireNonNull;

import dev.lb.probe.ProbeResponder;
import dev.lb.probe.ProbeResult;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The server's side of lb's gRPC probe ({@link GrpcProber}): the {@value #SERVICE} service, whose
 * one unary method {@code Probe} answers with the server's requests in flight and latency estimate
 * from a {@link ProbeResponder}, and an interceptor that keeps that responder up to date from the
 * server's own calls.
 *
 * <pre>{@code
 * ProbeResponder load = ProbeResponder.create();
 * Server server = NettyServerBuilder.forPort(port)
 *     .addService(ServerInterceptors.intercept(myService, ProbeService.tracking(load)))
 *     .addService(ProbeService.definition(load))
 *     .build();
 * }</pre>
 *
 * <h2>Wire format</h2>
 *
 * <p>{@code /lb.probe.v1.Probe/Probe}, unary. The request is empty (any bytes are ignored); the
 * response is {@link ProbeResult}'s text format in UTF-8 ({@code rif=3 latency_us=12500}). No
 * protobuf is needed on either side: both messages are raw bytes, so a server in any language
 * answers it with a bytes-marshalled method of that name.
 *
 * <p>Thread-safe; the definition and the interceptor may serve any number of calls at once.
 */
public final class ProbeService {
  /** The probe's gRPC service name. */
  public static final String SERVICE = "lb.probe.v1.Probe";

  /** The probe method: empty request, the answer's text as the response. */
  static final MethodDescriptor<byte[], byte[]> METHOD =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Probe"))
          .setRequestMarshaller(BytesMarshaller.INSTANCE)
          .setResponseMarshaller(BytesMarshaller.INSTANCE)
          .setIdempotent(true)
          .setSafe(true)
          .build();

  private ProbeService() {}

  /**
   * The probe service, answering from {@code load}.
   *
   * @param load the server's responder, kept up to date by {@link #tracking} or by hand
   * @return a service definition to add to the server
   * @throws NullPointerException if {@code load} is null
   */
  public static ServerServiceDefinition definition(ProbeResponder load) {
    requireNonNull(load, "load");
    ServerCallHandler<byte[], byte[]> handler =
        (call, headers) -> {
          call.request(1);
          return new ServerCall.Listener<>() {
            @Override
            public void onHalfClose() {
              byte[] answer = load.answer().toText().getBytes(StandardCharsets.UTF_8);
              call.sendHeaders(new Metadata());
              call.sendMessage(answer);
              call.close(Status.OK, new Metadata());
            }
          };
        };
    return ServerServiceDefinition.builder(SERVICE).addMethod(METHOD, handler).build();
  }

  /**
   * An interceptor that counts every call it sees in {@code load}: one request in flight from the
   * call's start to its close, and its latency filed under the RIF it found. Add it to the services
   * whose load the probes should report (not to the probe service itself).
   *
   * @param load the server's responder
   * @return the interceptor
   * @throws NullPointerException if {@code load} is null
   */
  public static ServerInterceptor tracking(ProbeResponder load) {
    requireNonNull(load, "load");
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        int rif = load.begin();
        java.util.concurrent.atomic.AtomicBoolean ended =
            new java.util.concurrent.atomic.AtomicBoolean();
        Runnable end =
            () -> {
              if (ended.compareAndSet(false, true)) {
                load.end(rif, Math.max(0, System.nanoTime() - start));
              }
            };
        ServerCall<Q, R> counted =
            new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void close(Status status, Metadata trailers) {
                end.run();
                super.close(status, trailers);
              }
            };
        ServerCall.Listener<Q> listener;
        try {
          listener = next.startCall(counted, headers);
        } catch (RuntimeException e) {
          end.run();
          throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
          @Override
          public void onCancel() {
            end.run(); // the client went away: the call no longer counts
            super.onCancel();
          }
        };
      }
    };
  }

  /** Raw bytes as the message, both ways. */
  enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readNBytes(4096);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}

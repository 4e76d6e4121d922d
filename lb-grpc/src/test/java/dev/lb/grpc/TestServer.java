package dev.lb.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.services.MetricRecorder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.grpc.xds.orca.OrcaMetricReportingServerInterceptor;
import io.grpc.xds.orca.OrcaServiceImpl;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real gRPC server for tests, on 127.0.0.1 (Netty, ephemeral port) or in-process, with a
 * hand-written echo service: {@code test.Echo/Who} answers the server's name (after an optional
 * delay), {@code test.Echo/Fail} fails with UNAVAILABLE, {@code test.Echo/Missing} with NOT_FOUND,
 * and the server-streaming {@code test.Echo/Watch} sends the server's name at once, then holds the
 * stream open until {@link #endWatches} (or the client cancels). It also serves {@code
 * grpc.health.v1} through a {@link HealthStatusManager}. Counts the calls it receives; {@link
 * #awaitCalls} waits for them without sleeping.
 */
final class TestServer implements AutoCloseable {
  static final MethodDescriptor.Marshaller<String> STRING =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final MethodDescriptor<String, String> WHO = method("Who");
  static final MethodDescriptor<String, String> FAIL = method("Fail");
  static final MethodDescriptor<String, String> MISSING = method("Missing");
  static final MethodDescriptor<String, String> WATCH =
      WHO.toBuilder()
          .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", "Watch"))
          .build();

  private static final ScheduledExecutorService DELAYS =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "test-server-delays");
            t.setDaemon(true);
            return t;
          });

  final String name;
  final HealthStatusManager health = new HealthStatusManager();
  private final boolean inProcess;
  private final boolean withHealth;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Semaphore callPermits = new Semaphore(0);
  private final Set<StreamObserver<String>> watches = ConcurrentHashMap.newKeySet();
  private volatile long delayMillis;
  private volatile boolean unavailable;
  private int port;
  private Server server;

  /**
   * The server-wide ORCA metrics sent in every response's {@code endpoint-load-metrics-bin}
   * trailer, through gRPC's own ORCA server interceptor; empty (no trailer) until a test sets them.
   */
  final MetricRecorder orca = MetricRecorder.newInstance();

  /** The server's own load, as Prequal's probes ask for it: every echo call counts. */
  final dev.lb.probe.ProbeResponder probeLoad = dev.lb.probe.ProbeResponder.create();

  private final AtomicInteger probes = new AtomicInteger();

  private volatile boolean reportsLoad;

  /**
   * The metrics ORCA's out-of-band service ({@code OpenRcaService}, gRPC's own implementation)
   * streams to clients that ask; never sent in trailers. Reports as often as every 10 ms.
   */
  final MetricRecorder oobOrca = MetricRecorder.newInstance();

  private TestServer(String name, boolean inProcess, boolean withHealth) throws IOException {
    this.name = name;
    this.inProcess = inProcess;
    this.withHealth = withHealth;
    this.server = start(0);
  }

  /** A Netty server on 127.0.0.1 and an ephemeral port, with the health service. */
  static TestServer netty(String name) throws IOException {
    return new TestServer(name, false, true);
  }

  /** A Netty server on 127.0.0.1 without the health service. */
  static TestServer nettyWithoutHealth(String name) throws IOException {
    return new TestServer(name, false, false);
  }

  /** An in-process server registered under {@code name}. */
  static TestServer inProcess(String name) throws IOException {
    return new TestServer(name, true, true);
  }

  private static MethodDescriptor<String, String> method(String name) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
        .setRequestMarshaller(STRING)
        .setResponseMarshaller(STRING)
        .setIdempotent(true)
        .build();
  }

  private Server start(int bindPort) throws IOException {
    ServerServiceDefinition echo =
        ServerServiceDefinition.builder("test.Echo")
            .addMethod(
                WHO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      if (unavailable) {
                        received();
                        response.onError(
                            Status.UNAVAILABLE
                                .withDescription(name + " is unavailable")
                                .asRuntimeException());
                        return;
                      }
                      // In flight before counted: whoever awaits the call then sees it in flight.
                      inFlight.incrementAndGet();
                      received();
                      long delay = delayMillis;
                      Runnable answer =
                          () -> {
                            inFlight.decrementAndGet();
                            response.onNext(name);
                            response.onCompleted();
                          };
                      if (delay > 0) {
                        Future<?> unused = DELAYS.schedule(answer, delay, TimeUnit.MILLISECONDS);
                      } else {
                        answer.run();
                      }
                    }))
            .addMethod(
                WATCH,
                ServerCalls.asyncServerStreamingCall(
                    (request, response) -> {
                      received();
                      ServerCallStreamObserver<String> call =
                          (ServerCallStreamObserver<String>) response;
                      call.setOnCancelHandler(() -> watches.remove(response));
                      watches.add(response);
                      response.onNext(name);
                    }))
            .addMethod(
                FAIL,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      received();
                      response.onError(
                          Status.UNAVAILABLE.withDescription(name + " fails").asRuntimeException());
                    }))
            .addMethod(
                MISSING,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      received();
                      response.onError(
                          Status.NOT_FOUND.withDescription("no such thing").asRuntimeException());
                    }))
            .build();
    ServerServiceDefinition probe =
        ServerInterceptors.intercept(
            ProbeService.definition(probeLoad),
            new ServerInterceptor() {
              @Override
              public <Q, R> ServerCall.Listener<Q> interceptCall(
                  ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                probes.incrementAndGet();
                return next.startCall(call, headers);
              }
            });
    ServerServiceDefinition service =
        ServerInterceptors.intercept(
            ServerInterceptors.intercept(echo, ProbeService.tracking(probeLoad)),
            new ServerInterceptor() {
              @Override
              public <Q, R> ServerCall.Listener<Q> interceptCall(
                  ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                return reportsLoad
                    ? OrcaMetricReportingServerInterceptor.create(orca)
                        .interceptCall(call, headers, next)
                    : next.startCall(call, headers);
              }
            });
    Server s;
    if (inProcess) {
      InProcessServerBuilder b =
          InProcessServerBuilder.forName(name)
              .addService(service)
              .addService(probe)
              .addService(
                  OrcaServiceImpl.createService(DELAYS, oobOrca, 10, TimeUnit.MILLISECONDS));
      if (withHealth) {
        b.addService(health.getHealthService());
      }
      s = b.build();
    } else {
      NettyServerBuilder b =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(InetAddress.getLoopbackAddress(), bindPort))
              .addService(service)
              .addService(probe)
              .addService(
                  OrcaServiceImpl.createService(DELAYS, oobOrca, 10, TimeUnit.MILLISECONDS));
      if (withHealth) {
        b.addService(health.getHealthService());
      }
      s = b.build();
    }
    s.start();
    if (!inProcess) {
      port = s.getPort();
    }
    return s;
  }

  /** Streams these ORCA metrics to out-of-band subscribers from now on; no trailers. */
  TestServer reportOutOfBand(double cpuUtilization, double qps) {
    oobOrca.setCpuUtilizationMetric(cpuUtilization);
    oobOrca.setQpsMetric(qps);
    return this;
  }

  /** Sends these ORCA metrics with every response from now on. */
  TestServer reportLoad(double cpuUtilization, double qps) {
    orca.setCpuUtilizationMetric(cpuUtilization);
    orca.setQpsMetric(qps);
    reportsLoad = true;
    return this;
  }

  /** Probe calls this server answered. */
  int probes() {
    return probes.get();
  }

  private void received() {
    calls.incrementAndGet();
    callPermits.release();
  }

  int port() {
    return port;
  }

  /** {@code 127.0.0.1:PORT}, as an entry of a static {@code lb:} target. */
  String address() {
    return "127.0.0.1:" + port;
  }

  /** {@code Who} calls received and not answered yet. */
  int inFlight() {
    return inFlight.get();
  }

  int calls() {
    return calls.get();
  }

  /** Forgets the calls received so far. */
  void resetCalls() {
    calls.set(0);
    callPermits.drainPermits();
  }

  /** Waits until {@code n} more calls than already awaited have arrived; false on timeout. */
  boolean awaitCalls(int n, Duration timeout) throws InterruptedException {
    return callPermits.tryAcquire(n, timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Watch streams open now. */
  int openWatches() {
    return watches.size();
  }

  /** Ends every open watch stream with OK. */
  void endWatches() {
    for (Iterator<StreamObserver<String>> it = watches.iterator(); it.hasNext(); ) {
      StreamObserver<String> w = it.next();
      it.remove();
      w.onCompleted();
    }
  }

  /** Makes {@code Who} answer UNAVAILABLE (true) or its name (false). */
  void unavailable(boolean unavailable) {
    this.unavailable = unavailable;
  }

  void delay(Duration delay) {
    this.delayMillis = delay.toMillis();
  }

  /** Stops the server at once, failing calls in flight, and waits until it has stopped. */
  void stop() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  /**
   * Stops the server as a deploy does: it refuses new calls at once (GOAWAY) and lets calls in
   * flight finish, then stops.
   */
  void stopGracefully() throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
      stop();
    }
  }

  /** Starts the server again on the same port (Netty) or name (in-process). */
  void restart() throws IOException {
    server = start(port);
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

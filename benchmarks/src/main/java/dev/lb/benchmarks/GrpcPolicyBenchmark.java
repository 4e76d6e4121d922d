package dev.lb.benchmarks;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-RPC cost of an lb policy against grpc-java's own {@code round_robin}, on the same channel
 * setup: one blocking unary call with a 2-byte payload over Netty loopback to two servers on
 * 127.0.0.1, resolved by the same {@code lb:///} static target; only the channel's load-balancing
 * policy differs. Sample time, so that medians (p0.50) of the policies, measured in one run, can be
 * compared.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar GrpcPolicyBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GrpcPolicyBenchmark {
  /** The channel's load-balancing policy. */
  @Param({"round_robin", "lb_round_robin", "lb_peak_ewma"})
  public String policy;

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
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
      };

  private static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("bench.Echo/Echo")
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  private static final byte[] PAYLOAD = {'o', 'k'};

  private final List<Server> servers = new ArrayList<>();
  private ManagedChannel channel;

  /** Starts two loopback servers and a channel over both with the policy under test. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    ServerServiceDefinition echo =
        ServerServiceDefinition.builder("bench.Echo")
            .addMethod(
                ECHO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext(request);
                      response.onCompleted();
                    }))
            .build();
    List<String> entries = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Server s =
          Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
              .addService(echo)
              .build()
              .start();
      servers.add(s);
      entries.add("127.0.0.1:" + s.getPort());
    }
    channel =
        Grpc.newChannelBuilder(
                "lb:///" + String.join(",", entries), InsecureChannelCredentials.create())
            .defaultLoadBalancingPolicy(policy)
            .build();
    for (int i = 0; i < 100; i++) {
      call(); // connect both subchannels
    }
  }

  /** Shuts the channel and servers down. */
  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * One unary RPC through the policy.
   *
   * @return the response, for JMH to consume
   */
  @Benchmark
  public byte[] call() {
    return ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, PAYLOAD);
  }
}

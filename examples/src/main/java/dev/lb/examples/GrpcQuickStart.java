package dev.lb.examples;

import dev.lb.BalancerStats;
import dev.lb.Endpoint;
import dev.lb.grpc.EndpointRegistry;
import dev.lb.grpc.LbChannels;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The README's gRPC quick start, runnable: two local servers stand in for a service's instances,
 * the second with weight 3; a channel for {@code lb:///users} with the {@code
 * lb_weighted_round_robin} policy sends 400 calls, three in four to the heavier instance, and
 * prints the channel's balancer statistics.
 *
 * <p>In an application only the part between "quick start" markers is needed; the servers and the
 * hand-written method descriptor replace a real service and its generated stub.
 */
public final class GrpcQuickStart {
  /** The demo servers listen on the loopback address only. */
  private static final String LOOPBACK = InetAddress.getLoopbackAddress().getHostAddress();

  private GrpcQuickStart() {}

  /**
   * Runs the quick start and prints the calls per server and the balancer's statistics.
   *
   * @param args ignored
   * @throws Exception if a server cannot start or a call fails
   */
  public static void main(String[] args) throws Exception {
    System.out.print(run(400));
  }

  /** Runs {@code calls} calls; returns the report {@link #main} prints. */
  static String run(int calls) throws IOException, InterruptedException {
    List<Server> servers = List.of(startServer("users-1"), startServer("users-2"));
    try {
      // --- quick start ---------------------------------------------------------------------
      EndpointRegistry.global()
          .set(
              "users",
              List.of(
                  Endpoint.of(LOOPBACK, servers.get(0).getPort()),
                  Endpoint.builder(LOOPBACK, servers.get(1).getPort()).weight(3).build()));

      ManagedChannel channel =
          Grpc.newChannelBuilder("lb:///users", InsecureChannelCredentials.create())
              .defaultLoadBalancingPolicy("lb_weighted_round_robin")
              .build();
      // --- end of quick start --------------------------------------------------------------
      try {
        // Until both instances are connected, calls go to the one that is.
        while (answered(channel, 20).size() < 2) {
          Thread.onSpinWait();
        }
        Map<String, Integer> perServer = answered(channel, calls);
        StringBuilder report = new StringBuilder();
        report.append(calls).append(" calls: ").append(perServer).append(System.lineSeparator());
        for (BalancerStats stats : LbChannels.stats("lb:///users")) {
          report.append(stats.toTable());
        }
        return report.toString();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        EndpointRegistry.global().remove("users");
      }
    } finally {
      for (Server s : servers) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static Map<String, Integer> answered(ManagedChannel channel, int calls) {
    Map<String, Integer> counts = new TreeMap<>();
    CallOptions options = CallOptions.DEFAULT.withWaitForReady();
    for (int i = 0; i < calls; i++) {
      String server =
          ClientCalls.blockingUnaryCall(
              channel, WHO, options.withDeadlineAfter(10, TimeUnit.SECONDS), "");
      counts.merge(server, 1, Integer::sum);
    }
    return counts;
  }

  private static final MethodDescriptor.Marshaller<String> UTF8 =
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

  /** {@code users.Users/Who}: answers the serving instance's name. */
  private static final MethodDescriptor<String, String> WHO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("users.Users/Who")
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  private static Server startServer(String name) throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("users.Users")
            .addMethod(
                WHO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext(name);
                      response.onCompleted();
                    }))
            .build();
    return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(service)
        .build()
        .start();
  }
}

package dev.lb.releasecheck;

import dev.lb.Endpoint;
import dev.lb.LbVersion;
import dev.lb.LoadBalancer;
import dev.lb.grpc.LbChannels;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.util.List;
import okhttp3.OkHttpClient;

/**
 * What a consumer of lb-bom writes first: an OkHttp client over one balancer, and a look at gRPC
 * channels' balancers. It exists to be compiled against the versions the BOM resolves.
 */
public final class Consumer {
  private Consumer() {}

  /**
   * Builds an lb-balanced OkHttp client and prints lb's version and gRPC targets.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    LoadBalancer balancer =
        LoadBalancer.builder().endpoints(List.of(Endpoint.of("127.0.0.1", 8080))).build();
    LoadBalancingInterceptor interceptor =
        LoadBalancingInterceptor.builder().service(Service.builder("shop").defaultTarget(balancer).build()).build();
    OkHttpClient client = interceptor.newClient();
    System.out.println("lb " + LbVersion.current() + ", gRPC targets " + LbChannels.targets());
    client.dispatcher().executorService().shutdown();
    balancer.close();
  }
}

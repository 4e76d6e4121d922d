package dev.lb.benchmarks.peers;

import dev.lb.benchmarks.Backends;
import java.util.ArrayList;
import java.util.List;
import org.apache.dubbo.common.URL;
import org.apache.dubbo.rpc.Invocation;
import org.apache.dubbo.rpc.Invoker;
import org.apache.dubbo.rpc.Result;
import org.apache.dubbo.rpc.RpcInvocation;
import org.apache.dubbo.rpc.RpcStatus;
import org.apache.dubbo.rpc.cluster.LoadBalance;
import org.apache.dubbo.rpc.cluster.loadbalance.ConsistentHashLoadBalance;

/**
 * Apache Dubbo's {@link LoadBalance} implementations over invokers that only carry a provider URL
 * with its {@code weight} parameter. Where the policy ranks by calls in flight (least active), the
 * release is what Dubbo's {@code ActiveLimitFilter} does around a call: {@link
 * RpcStatus#beginCount} and {@link RpcStatus#endCount}.
 */
final class DubboPeers {
  private static final String SERVICE = "bench.Service";
  private static final String METHOD = "call";
  private static final URL CONSUMER = URL.valueOf("consumer://127.0.0.1/" + SERVICE);

  private DubboPeers() {}

  /**
   * A pick-and-release target over {@code n} providers.
   *
   * @param balance the Dubbo policy instance
   * @param countActive whether to count the call in {@link RpcStatus}, as least-active needs
   * @param n the number of providers
   * @param equalWeights true for weight 1 everywhere, false for weights 1 to 5
   */
  static PickTarget pickTarget(
      LoadBalance balance, boolean countActive, int n, boolean equalWeights) {
    List<Invoker<Object>> invokers = invokers(n, equalWeights);
    Invocation invocation = invocation("key");
    if (!countActive) {
      return PickTarget.pickOnly(() -> balance.select(invokers, CONSUMER, invocation));
    }
    return PickTarget.of(
        () -> balance.select(invokers, CONSUMER, invocation),
        latencyNanos -> {
          Invoker<Object> chosen = balance.select(invokers, CONSUMER, invocation);
          URL url = chosen.getUrl();
          RpcStatus.beginCount(url, METHOD);
          RpcStatus.endCount(url, METHOD, latencyNanos / 1_000_000L, true);
          return chosen;
        });
  }

  /**
   * A consistent-hash lookup target: Dubbo hashes the call's first argument, so each key is a
   * precomputed invocation whose argument is the string key.
   *
   * @param n the number of providers
   */
  static KeyedTarget consistentHash(int n, int keyCount) {
    LoadBalance balance = new ConsistentHashLoadBalance();
    List<Invoker<Object>> invokers = invokers(n, false);
    String[] keys = Backends.stringKeys(keyCount);
    Invocation[] invocations = new Invocation[keys.length];
    for (int i = 0; i < keys.length; i++) {
      invocations[i] = invocation(keys[i]);
    }
    return keyIndex -> balance.select(invokers, CONSUMER, invocations[keyIndex]);
  }

  // The non-deprecated constructors want a ServiceModel from a running Dubbo application; selection
  // reads only the method name and arguments.
  @SuppressWarnings("deprecation")
  private static Invocation invocation(String argument) {
    return new RpcInvocation(
        METHOD, SERVICE, "", new Class<?>[] {String.class}, new Object[] {argument});
  }

  private static List<Invoker<Object>> invokers(int n, boolean equalWeights) {
    List<Invoker<Object>> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(
          new ProviderInvoker(
              URL.valueOf(
                  "dubbo://"
                      + Backends.host(i)
                      + ":8080/"
                      + SERVICE
                      + "?weight="
                      + Backends.weight(i, equalWeights))));
    }
    return List.copyOf(list);
  }

  /** An invoker that is only a provider URL: selection never invokes it. */
  private static final class ProviderInvoker implements Invoker<Object> {
    private final URL url;

    ProviderInvoker(URL url) {
      this.url = url;
    }

    @Override
    public Class<Object> getInterface() {
      return Object.class;
    }

    @Override
    public Result invoke(Invocation invocation) {
      throw new UnsupportedOperationException("benchmarks only select");
    }

    @Override
    public URL getUrl() {
      return url;
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public void destroy() {}
  }
}

package dev.lb.okhttp;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import okhttp3.Interceptor;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * Ends one OkHttp exchange alone, without cancelling the call it belongs to: how a hedge that wins
 * stops a first attempt that runs on the caller's own chain.
 *
 * <p>Why OkHttp's exchange. Cancelling the caller's call would also fail the response the caller is
 * to get from the winning hedge (OkHttp throws "Canceled" when a cancelled call's chain returns),
 * and on HTTP/2 the connection cannot be closed, since it carries other calls' streams. OkHttp's
 * {@code Exchange.cancel()} ends exactly one exchange: on HTTP/1 it closes that exchange's socket,
 * on HTTP/2 it closes that exchange's stream with {@code RST_STREAM(CANCEL)}, queued on the
 * connection's writer, and wakes the thread waiting on that stream only; the connection and every
 * other stream on it go on. That is what {@code RealCall.cancel()} itself does to the exchange. The
 * exchange is not public API: the network interceptor's chain holds it ({@code
 * RealInterceptorChain.exchange}, an OkHttp-internal property compiled as {@code
 * getExchange$okhttp()}). Both are looked up once, by method handles; if this OkHttp has neither
 * (another version), {@link #AVAILABLE} is false and hedged calls that may meet HTTP/2 run their
 * first attempt as a call of the hedge client, as before.
 *
 * <p>A side effect on HTTP/2, from OkHttp's own bookkeeping: a stream reset with {@code CANCEL}
 * while its call is not cancelled counts as a failure of the connection ({@code
 * RealConnection.trackFailure}), which takes no new exchanges from then on. The calls in flight on
 * it finish normally; the next call to that endpoint opens a new connection. It happens only when a
 * hedge beats a first attempt on HTTP/2, never to a call that does not hedge.
 *
 * <p>Stateless and thread-safe; {@link #cancel} may be called from any thread, more than once.
 */
final class ExchangeCanceller {
  /** Whether this OkHttp lets an exchange be found and cancelled alone. */
  static final boolean AVAILABLE;

  private static final @Nullable Class<?> CHAIN_CLASS;
  private static final @Nullable MethodHandle EXCHANGE; // (Interceptor.Chain) Object
  private static final @Nullable MethodHandle CANCEL; // (Object) void

  static {
    Class<?> chainClass = null;
    MethodHandle exchange = null;
    MethodHandle cancel = null;
    try {
      ClassLoader loader = Interceptor.class.getClassLoader();
      Class<?> c = Class.forName("okhttp3.internal.http.RealInterceptorChain", false, loader);
      Class<?> e = Class.forName("okhttp3.internal.connection.Exchange", false, loader);
      // This module's own lookup, not publicLookup(): on the module path OkHttp exports its
      // internal packages only to the modules named by --add-exports, never unconditionally.
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      exchange =
          lookup
              .findVirtual(c, "getExchange$okhttp", MethodType.methodType(e))
              .asType(MethodType.methodType(Object.class, Interceptor.Chain.class));
      cancel =
          lookup
              .findVirtual(e, "cancel", MethodType.methodType(void.class))
              .asType(MethodType.methodType(void.class, Object.class));
      chainClass = c;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LoggerFactory.getLogger(LoadBalancingInterceptor.class)
          .debug(
              "this OkHttp hides its exchanges; hedged calls that may meet HTTP/2 run their first"
                  + " attempt as a call of their own",
              e);
      exchange = null;
      cancel = null;
      chainClass = null;
    }
    CHAIN_CLASS = chainClass;
    EXCHANGE = exchange;
    CANCEL = cancel;
    AVAILABLE = chainClass != null;
  }

  private ExchangeCanceller() {}

  /**
   * The exchange a network interceptor's chain runs, or null if there is none to be had (not
   * OkHttp's chain, or an OkHttp without the property).
   */
  static @Nullable Object exchange(Interceptor.Chain networkChain) {
    MethodHandle h = EXCHANGE;
    Class<?> c = CHAIN_CLASS;
    if (h == null || c == null || !c.isInstance(networkChain)) {
      return null;
    }
    try {
      return (Object) h.invokeExact(networkChain);
    } catch (Throwable t) {
      return null; // a getter that fails: the attempt is just not abortable this way
    }
  }

  /** Cancels {@code exchange}; an exchange that ended already ignores it. Never throws. */
  static void cancel(Object exchange) {
    MethodHandle h = CANCEL;
    if (h == null) {
      return;
    }
    try {
      h.invokeExact(exchange);
    } catch (Throwable t) {
      LoggerFactory.getLogger(LoadBalancingInterceptor.class)
          .debug("cancelling a losing attempt's exchange failed", t);
    }
  }
}

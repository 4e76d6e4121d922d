package dev.lb.okhttp;

import java.io.IOException;
import okhttp3.Connection;
import okhttp3.Interceptor;
import okhttp3.Response;

/**
 * The balancing interceptor's network half ({@link LoadBalancingInterceptor#networkInterceptor()}):
 * it runs once per exchange that OkHttp makes for an attempt, and does two things no application
 * interceptor can.
 *
 * <ul>
 *   <li>It binds the attempt to the connection its exchange runs on, so that the attempt's deadline
 *       can close an HTTP/1 socket that is still writing the request or waiting for headers; and a
 *       hedged call's first attempt, which runs on the caller's own call, to its exchange, so that
 *       a hedge that wins can cancel that exchange alone ({@link ExchangeCanceller}).
 *   <li>It tells the attempt whether its connection was reused from the pool, so that a request lb
 *       may send again is retried once on the same endpoint when a stale pooled connection fails
 *       before any response byte, instead of counting as that endpoint's failure.
 *   <li>It hides a {@code Retry-After} header of a 503 from OkHttp's own follow-up logic, which
 *       would otherwise send a bodiless request (GET, HEAD) again to the same endpoint on {@code
 *       Retry-After: 0}, behind lb's back. The attempt keeps the value and puts it back on the
 *       response the caller gets.
 * </ul>
 *
 * <p>Requests that are not balanced attempts (no {@link Attempt} tag) pass untouched. Stateless and
 * thread-safe.
 */
final class AttemptGuard implements Interceptor {
  static final AttemptGuard INSTANCE = new AttemptGuard();

  /**
   * The connections an exchange has run on: OkHttp says nothing of whether a connection came from
   * the pool, and a failure on a reused one is treated apart (see {@code BalancedCall}).
   */
  private static final SeenConnections SEEN = new SeenConnections();

  private AttemptGuard() {}

  @Override
  public Response intercept(Chain chain) throws IOException {
    Attempt attempt = chain.request().tag(Attempt.class);
    if (attempt == null) {
      return chain.proceed(chain.request());
    }
    Connection connection = chain.connection();
    if (connection != null) {
      attempt.connectionReused(!SEEN.firstUse(connection));
      attempt.bind(connection, chain);
    }
    Response response;
    try {
      response = chain.proceed(chain.request());
    } finally {
      if (connection != null) {
        attempt.unbind(connection);
      }
    }
    String retryAfter = response.header("Retry-After");
    if (response.code() == 503 && retryAfter != null) {
      attempt.strippedRetryAfter(retryAfter);
      return response.newBuilder().removeHeader("Retry-After").build();
    }
    return response;
  }

  @Override
  public String toString() {
    return "LoadBalancingInterceptor.networkInterceptor()";
  }
}

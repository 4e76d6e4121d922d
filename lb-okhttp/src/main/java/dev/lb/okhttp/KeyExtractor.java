package dev.lb.okhttp;

import java.util.function.Function;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * Extracts a request's affinity key: the user, session or tenant whose calls should stay together.
 * The key becomes the {@link dev.lb.PickContext} key of every attempt (feeding key-hash strategies
 * and the stick table) and chooses the arm of a {@link TrafficSplit}, so one user stays in one arm.
 *
 * <pre>{@code
 * KeyExtractor.header("X-User-Id")
 * KeyExtractor.cookie("session")
 * KeyExtractor.of(request -> request.url().queryParameter("tenant"))
 * }</pre>
 *
 * <p>Implementations must be thread-safe, fast and non-blocking: they run on the calling thread for
 * every request to a balanced service. An extractor that throws fails the call with its exception.
 */
@FunctionalInterface
public interface KeyExtractor {
  /** The extractor that never finds a key: calls carry no affinity. */
  KeyExtractor NONE = request -> null;

  /**
   * Returns the request's affinity key, or null if it has none.
   *
   * @param request the request as the application made it, before any rewrite
   * @return the key, or null if the request carries none (then arms and endpoints are chosen
   *     without affinity)
   */
  @Nullable String extract(Request request);

  /**
   * Returns an extractor that reads a header; the last value wins if the header repeats.
   *
   * @param name the header's name, such as {@code X-User-Id}; must not be null or blank
   * @return an extractor returning the header's value, or null if absent or empty
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank
   */
  static KeyExtractor header(String name) {
    String header = Options.notBlank(name, "header name");
    return request -> {
      String value = request.header(header);
      return value == null || value.isEmpty() ? null : value;
    };
  }

  /**
   * Returns an extractor that reads a cookie from the request's {@code Cookie} headers.
   *
   * @param name the cookie's name, such as {@code session}; must not be null or blank
   * @return an extractor returning the cookie's value, or null if the request has no such cookie or
   *     its value is empty
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank
   */
  static KeyExtractor cookie(String name) {
    String cookie = Options.notBlank(name, "cookie name");
    return request -> {
      for (String header : request.headers("Cookie")) {
        for (String pair : header.split(";", -1)) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().equals(cookie)) {
            String value = pair.substring(eq + 1).trim();
            return value.isEmpty() ? null : value;
          }
        }
      }
      return null;
    };
  }

  /**
   * Returns an extractor that applies {@code function}, for keys found anywhere in the request (a
   * query parameter, a path segment, a token's subject).
   *
   * @param function computes the key from the request, or null if it has none; must be thread-safe
   *     and fast
   * @return an extractor delegating to {@code function}
   * @throws NullPointerException if {@code function} is null
   */
  static KeyExtractor of(Function<Request, @Nullable String> function) {
    Function<Request, @Nullable String> f = Options.notNull(function, "key extractor function");
    return f::apply;
  }
}

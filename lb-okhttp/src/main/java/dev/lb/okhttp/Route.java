package dev.lb.okhttp;

import dev.lb.LoadBalancer;
import java.util.Locale;
import java.util.function.Predicate;
import okhttp3.Request;

/**
 * One routing rule of a {@link Service}: requests that match go to its {@link TrafficSplit}. A
 * service tries its routes in the order they were added; the first match wins, and requests that
 * match none go to the service's default target.
 *
 * <pre>{@code
 * Route.pathPrefix("/api/", apiBalancer)               // the seeds' /api/* → API servers
 * Route.header("X-Canary", "always", canaryBalancer)
 * Route.host("admin.shop", adminBalancer)              // by the Host header
 * Route.pathPrefix("/", TrafficSplit.builder().arm("blue", blue, 95).arm("green", green, 5).build())
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Route {
  private final String description;
  private final Predicate<Request> matcher;
  private final TrafficSplit target;

  private Route(String description, Predicate<Request> matcher, TrafficSplit target) {
    this.description = description;
    this.matcher = matcher;
    this.target = target;
  }

  /**
   * Routes requests whose path starts with {@code prefix} as whole segments: {@code /api} matches
   * {@code /api}, {@code /api/} and {@code /api/orders} but not {@code /apiary}; a prefix ending in
   * {@code /}, such as {@code /api/}, matches the paths below it ({@code /api/orders}, not {@code
   * /api}); {@code /} matches every path.
   *
   * @param prefix the encoded path prefix, starting with {@code /}, such as {@code /api/}
   * @param target where matching requests go; must not be null
   * @return a new route
   * @throws NullPointerException if {@code prefix} or {@code target} is null
   * @throws IllegalArgumentException if {@code prefix} does not start with {@code /}
   */
  public static Route pathPrefix(String prefix, TrafficSplit target) {
    String p = Options.notNull(prefix, "path prefix");
    if (!p.startsWith("/")) {
      throw new IllegalArgumentException("path prefix must start with '/' but was '" + p + "'");
    }
    return new Route(
        "path " + p + "*",
        r -> matchesSegments(r.url().encodedPath(), p),
        Options.notNull(target, "target"));
  }

  /**
   * Routes requests whose path starts with {@code prefix} to one group.
   *
   * @param prefix the encoded path prefix, starting with {@code /}
   * @param target the group's balancer; must not be null
   * @return a new route
   * @throws IllegalArgumentException as {@link #pathPrefix(String, TrafficSplit)}
   */
  public static Route pathPrefix(String prefix, LoadBalancer target) {
    return pathPrefix(prefix, TrafficSplit.of(target));
  }

  /**
   * Routes requests that carry header {@code name} with exactly {@code value}.
   *
   * @param name the header's name; must not be null or blank
   * @param value the value to match, compared exactly; must not be null
   * @param target where matching requests go; must not be null
   * @return a new route
   * @throws NullPointerException if {@code name}, {@code value} or {@code target} is null
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public static Route header(String name, String value, TrafficSplit target) {
    String n = Options.notBlank(name, "header name");
    String v = Options.notNull(value, "value of header '" + n + "'");
    return new Route(
        "header " + n + ": " + v, r -> r.headers(n).contains(v), Options.notNull(target, "target"));
  }

  /**
   * Routes requests that carry header {@code name} with exactly {@code value} to one group.
   *
   * @param name the header's name; must not be null or blank
   * @param value the value to match, compared exactly; must not be null
   * @param target the group's balancer; must not be null
   * @return a new route
   * @throws IllegalArgumentException as {@link #header(String, String, TrafficSplit)}
   */
  public static Route header(String name, String value, LoadBalancer target) {
    return header(name, value, TrafficSplit.of(target));
  }

  /**
   * Routes requests by virtual host: the {@code Host} header if the request sets one, else the
   * URL's host, compared without case and without a port.
   *
   * @param host the host name to match, such as {@code admin.shop}; must not be null or blank
   * @param target where matching requests go; must not be null
   * @return a new route
   * @throws NullPointerException if {@code host} or {@code target} is null
   * @throws IllegalArgumentException if {@code host} is blank
   */
  public static Route host(String host, TrafficSplit target) {
    String h = Options.notBlank(host, "host").toLowerCase(Locale.ROOT);
    return new Route("host " + h, r -> h.equals(virtualHost(r)), Options.notNull(target, "target"));
  }

  /**
   * Routes requests by virtual host to one group.
   *
   * @param host the host name to match; must not be null or blank
   * @param target the group's balancer; must not be null
   * @return a new route
   * @throws IllegalArgumentException as {@link #host(String, TrafficSplit)}
   */
  public static Route host(String host, LoadBalancer target) {
    return host(host, TrafficSplit.of(target));
  }

  static boolean matchesSegments(String path, String prefix) {
    if (!path.startsWith(prefix)) {
      return false;
    }
    return prefix.endsWith("/")
        || path.length() == prefix.length()
        || path.charAt(prefix.length()) == '/';
  }

  private static String virtualHost(Request r) {
    String header = r.header("Host");
    if (header == null) {
      return r.url().host();
    }
    String h = header.trim();
    int colon = h.lastIndexOf(':');
    if (colon > 0 && h.indexOf(']') < colon) {
      h = h.substring(0, colon);
    }
    return h.toLowerCase(Locale.ROOT);
  }

  boolean matches(Request request) {
    return matcher.test(request);
  }

  /**
   * Where the requests this route matches go.
   *
   * @return the route's traffic split, of one arm if it names a single group
   */
  public TrafficSplit target() {
    return target;
  }

  /**
   * Returns this rule with another target, such as the same split with new weights, for {@link
   * Service#updateRoutes} on a live client.
   *
   * @param target where matching requests go from now on
   * @return a new route that matches the same requests
   * @throws NullPointerException if {@code target} is null
   */
  public Route withTarget(TrafficSplit target) {
    return new Route(description, matcher, Options.notNull(target, "target"));
  }

  @Override
  public String toString() {
    return "Route{" + description + " → " + target + "}";
  }
}

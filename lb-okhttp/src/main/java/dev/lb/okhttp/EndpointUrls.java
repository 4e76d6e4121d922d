package dev.lb.okhttp;

import dev.lb.Endpoint;
import java.util.concurrent.atomic.AtomicReferenceArray;
import okhttp3.HttpUrl;
import org.jspecify.annotations.Nullable;

/**
 * Rewrites a request's URL to an endpoint: the endpoint's host and port, the service's wire scheme,
 * and everything else of the original URL (user info, path, query, fragment) kept as it is.
 *
 * <p>Why a cache. {@link HttpUrl.Builder#host} canonicalizes the host it is given (IDNA mapping and
 * Punycode, even for an IP literal) on every call; on a fast loopback call that was a sixth of lb's
 * own cost. So the endpoint's part of the URL is built once, as a base URL whose host is already
 * canonical, and each request copies its own path, query and fragment onto that base's builder,
 * which never touches the host again. The bases are kept in a small direct-mapped table indexed by
 * the endpoint's identity hash: a lookup is a few reads and allocates nothing, a collision only
 * builds the base again, and the table holds at most {@value #SLOTS} endpoints, whatever the
 * membership churn.
 *
 * <p>Thread-safe and lock-free: racing writers of one slot each store a correct entry.
 */
final class EndpointUrls {
  private static final int SLOTS = 256;

  private final AtomicReferenceArray<Base> bases = new AtomicReferenceArray<>(SLOTS);

  /** An endpoint's base URL for one wire scheme. Immutable. */
  private record Base(Endpoint endpoint, String scheme, HttpUrl url) {}

  /**
   * The URL of {@code original} on {@code endpoint}.
   *
   * @param original the request's logical URL
   * @param scheme the wire scheme, or null to keep the original's
   * @param endpoint the endpoint the attempt goes to
   * @return the rewritten URL
   */
  HttpUrl rewrite(HttpUrl original, @Nullable String scheme, Endpoint endpoint) {
    String s = scheme != null ? scheme : original.scheme();
    HttpUrl base = base(endpoint, s);
    HttpUrl.Builder b =
        base.newBuilder().encodedPath(original.encodedPath()).encodedQuery(original.encodedQuery());
    String user = original.encodedUsername();
    if (!user.isEmpty()) {
      b.encodedUsername(user);
    }
    String password = original.encodedPassword();
    if (!password.isEmpty()) {
      b.encodedPassword(password);
    }
    String fragment = original.encodedFragment();
    if (fragment != null) {
      b.encodedFragment(fragment);
    }
    return b.build();
  }

  @SuppressWarnings("ReferenceEquality") // identity of the endpoint object is the cache key
  private HttpUrl base(Endpoint endpoint, String scheme) {
    int slot = System.identityHashCode(endpoint) & (SLOTS - 1);
    Base b = bases.get(slot);
    if (b != null && b.endpoint() == endpoint && b.scheme().equals(scheme)) {
      return b.url();
    }
    HttpUrl url =
        new HttpUrl.Builder().scheme(scheme).host(endpoint.host()).port(endpoint.port()).build();
    bases.set(slot, new Base(endpoint, scheme, url));
    return url;
  }
}

package dev.lb.okhttp;

import java.util.ArrayList;
import java.util.List;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;

/**
 * The client's {@link CookieJar} as a balanced call's attempts see it: asked and told with the
 * call's logical URL ({@code http://users/...}), never with the endpoint's address the attempt was
 * rewritten to. A cookie an endpoint sets for its own host (no {@code Domain} attribute, or a
 * {@code Domain} equal to the endpoint's host) is stored for the logical host, so the session
 * cookie is sent to whichever endpoint the next call, or a failover, goes to.
 *
 * <p>One per call; thread-safe if the client's jar is.
 */
final class LogicalCookieJar implements CookieJar {
  private final CookieJar delegate;
  private final HttpUrl logical;

  LogicalCookieJar(CookieJar delegate, HttpUrl logical) {
    this.delegate = delegate;
    this.logical = logical;
  }

  @Override
  public List<Cookie> loadForRequest(HttpUrl url) {
    return delegate.loadForRequest(logicalUrl(url));
  }

  @Override
  public void saveFromResponse(HttpUrl url, List<Cookie> cookies) {
    List<Cookie> moved = new ArrayList<>(cookies.size());
    for (Cookie c : cookies) {
      moved.add(c.domain().equals(url.host()) ? rehost(c, logical.host()) : c);
    }
    delegate.saveFromResponse(logicalUrl(url), moved);
  }

  /**
   * The attempt's URL with the call's logical host and port (the path is the same) and the scheme
   * the attempt used on the wire: a service written as {@code http://shop} but sent over https gets
   * and keeps its {@code Secure} cookies, which a jar never returns for an http URL.
   */
  private HttpUrl logicalUrl(HttpUrl attempt) {
    return attempt.newBuilder().host(logical.host()).port(logical.port()).build();
  }

  private static Cookie rehost(Cookie c, String host) {
    Cookie.Builder b = c.newBuilder();
    if (c.hostOnly()) {
      b.hostOnlyDomain(host);
    } else {
      b.domain(host);
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "LogicalCookieJar{" + logical.host() + ", " + delegate + "}";
  }
}

package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import java.util.List;
import okhttp3.HttpUrl;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The per-attempt URL rewrite from a cached base gives exactly the URL that rewriting the original
 * with {@link HttpUrl.Builder#host} would, for URLs with every part that can vary.
 */
class EndpointUrlsTest {
  private static final List<String> URLS =
      List.of(
          "http://users/",
          "http://users/item",
          "http://users:8080/a/b/c/",
          "http://users/a%2Fb/%E2%82%AC?q=1&q=2&empty=&flag",
          "http://users/search?q=a+b%20c&x=%26&y=%3D#frag%20ment",
          "http://user:p%40ss@users/private",
          "http://:only-password@users/",
          "http://only-user@users/",
          "http://users/path/with%20space/and;matrix=1?#",
          "http://users/unicode/\u00e9t\u00e9?city=Z\u00fcrich",
          "https://users/secure?token=abc#top",
          "http://users/trailing/slash//double");

  private static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.of("127.0.0.1", 8080),
          Endpoint.of("10.0.0.7", 80),
          Endpoint.of("10.0.0.7", 443),
          Endpoint.of("::1", 9000),
          Endpoint.of("fe80::1", 1),
          Endpoint.of("backend-1.internal", 8443));

  /** The rewrite as lb made it before the cache. */
  private static HttpUrl reference(HttpUrl original, @Nullable String scheme, Endpoint e) {
    HttpUrl.Builder b = original.newBuilder();
    if (scheme != null) {
      b.scheme(scheme);
    }
    return b.host(e.host()).port(e.port()).build();
  }

  @Test
  void everyUrlOnEveryEndpoint_inEveryScheme_matchesTheDirectRewrite() {
    EndpointUrls urls = new EndpointUrls();
    for (int round = 0; round < 2; round++) { // the second round reads the cached bases
      for (String s : URLS) {
        HttpUrl original = HttpUrl.get(s);
        for (Endpoint e : ENDPOINTS) {
          for (String scheme : new String[] {null, "http", "https"}) {
            HttpUrl rewritten = urls.rewrite(original, scheme, e);
            assertThat(rewritten)
                .as("%s on %s, scheme %s", s, e, scheme)
                .isEqualTo(reference(original, scheme, e));
            assertThat(rewritten.toString()).isEqualTo(reference(original, scheme, e).toString());
          }
        }
      }
    }
  }

  @Test
  void moreEndpointsThanSlots_stillRewritesEachCorrectly() {
    EndpointUrls urls = new EndpointUrls();
    HttpUrl original = HttpUrl.get("http://users/item?x=1");
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 1_000; i++) {
        Endpoint e = Endpoint.of("10.1." + (i / 250) + "." + (i % 250), 1000 + i);
        assertThat(urls.rewrite(original, null, e))
            .isEqualTo(HttpUrl.get("http://" + e.host() + ":" + e.port() + "/item?x=1"));
      }
    }
  }

  @Test
  void twoEndpointObjectsWithTheSameAddressButDifferentIds_eachGetsItsOwnHostAndPort() {
    EndpointUrls urls = new EndpointUrls();
    HttpUrl original = HttpUrl.get("http://users/item");
    Endpoint a = Endpoint.builder("10.0.0.1", 80).id("a").build();
    Endpoint b = Endpoint.builder("10.0.0.2", 81).id("b").build();
    assertThat(urls.rewrite(original, null, a).toString()).isEqualTo("http://10.0.0.1/item");
    assertThat(urls.rewrite(original, null, b).toString()).isEqualTo("http://10.0.0.2:81/item");
    assertThat(urls.rewrite(original, "https", a).toString()).isEqualTo("https://10.0.0.1:80/item");
  }
}

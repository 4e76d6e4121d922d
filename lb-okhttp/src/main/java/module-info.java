/**
 * lb-okhttp: client-side load balancing for OkHttp over lb-core. See {@link
 * dev.lb.okhttp.LoadBalancingInterceptor} for where it sits in OkHttp's interceptor chain.
 */
module dev.lb.okhttp {
  requires transitive dev.lb.core;
  requires transitive okhttp3;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;
  requires static org.jspecify;

  exports dev.lb.okhttp;
}

/**
 * Client-side load balancing for OkHttp: per-request endpoint choice, failover, routing, traffic
 * splitting and stickiness over lb-core, plus an HTTP health checker and request coalescing.
 *
 * <h2>Where it sits in OkHttp's chain</h2>
 *
 * <p>OkHttp passes a call through application interceptors ({@code addInterceptor}), then its own
 * retry-and-redirect, bridge, cache and connect interceptors, then network interceptors ({@code
 * addNetworkInterceptor}), then the network. {@link dev.lb.okhttp.LoadBalancingInterceptor} is an
 * <em>application</em> interceptor, and must be:
 *
 * <ul>
 *   <li>it rewrites a logical host ({@code http://users/...}) to a real endpoint, which has to
 *       happen before OkHttp resolves the host and picks a pooled connection: a network interceptor
 *       runs on a connection already made to the logical host;
 *   <li>it retries on other endpoints by calling {@code proceed} more than once per call, which
 *       only application interceptors may do;
 *   <li>it sees each call exactly once, whatever redirects and OkHttp-internal retries happen below
 *       it, so each attempt is one lease;
 *   <li>it sets per-attempt timeouts and the hostname verifier through {@code Chain.withX}, which
 *       only application interceptors may change.
 * </ul>
 *
 * <p>A custom {@code okhttp3.Dns} is not a substitute: OkHttp pools connections, so DNS only
 * balances new connections, not requests, and it cannot fail a request over to another endpoint.
 *
 * <p>{@link dev.lb.okhttp.CoalescingInterceptor}, if used, goes before the balancing interceptor,
 * so that coalesced requests make one balanced call.
 */
@NullMarked
package dev.lb.okhttp;

import org.jspecify.annotations.NullMarked;

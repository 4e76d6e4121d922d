/**
 * Limits on what is sent to backends. Rate limiters: token bucket, leaky bucket, fixed window and
 * sliding window behind one small interface, {@link dev.lb.limit.RateLimiter}, built by {@link
 * dev.lb.limit.RateLimiters}; use one per endpoint (through a {@link
 * dev.lb.limit.RateLimiterFactory}) to cap the requests per second sent to each backend, or one per
 * balancer to cap them all. Concurrency limits: {@link dev.lb.limit.ConcurrencyLimit}, fixed or
 * adapted to measured latency (Vegas, gradient), built by {@link dev.lb.limit.ConcurrencyLimits},
 * per endpoint or per balancer, to cap the calls in flight.
 */
@NullMarked
package dev.lb.limit;

import org.jspecify.annotations.NullMarked;

/**
 * Rate limiters: token bucket, leaky bucket, fixed window and sliding window behind one small
 * interface, {@link dev.lb.limit.RateLimiter}, built by {@link dev.lb.limit.RateLimiters}. Use one
 * per endpoint (through a {@link dev.lb.limit.RateLimiterFactory}) to cap the requests per second
 * sent to each backend, or one per balancer to cap them all.
 */
@NullMarked
package dev.lb.limit;

import org.jspecify.annotations.NullMarked;

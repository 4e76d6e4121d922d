/**
 * The load balancer's public API: {@link dev.lb.LoadBalancer} picks an {@link dev.lb.Endpoint} for
 * each call and hands back a {@link dev.lb.Lease} on which the caller reports the call's outcome.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}.
 */
@NullMarked
package dev.lb;

import org.jspecify.annotations.NullMarked;

/**
 * Subsetting: each client of a large fleet talks to a small subset of the backends, so that the
 * number of connections grows with the number of clients, not with clients x backends.
 *
 * <p>A {@link dev.lb.subset.Subsetting} is a membership filter that the balancer applies on its
 * serialized update path, before the strategy: every strategy, health rule and panic threshold
 * works on the subset, and a pick costs the same as without one. Two algorithms ship: Finagle's
 * {@linkplain dev.lb.subset.Subsetting#deterministicAperture(int) deterministic aperture} (even
 * load per backend from the client's {@link dev.lb.subset.ClientCoordinate}) and gRPC's {@linkplain
 * dev.lb.subset.Subsetting#random(int) random subsetting} (gRFC A68: rendezvous hashing with a
 * per-client seed, no coordination). Implementations are package-private.
 */
@NullMarked
package dev.lb.subset;

import org.jspecify.annotations.NullMarked;

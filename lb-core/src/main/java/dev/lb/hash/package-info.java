/**
 * Consistent hashing and session affinity: hash-based strategies that send calls with the same key
 * to the same endpoint ({@link dev.lb.hash.HashStrategies}), the stable 64-bit hash they use
 * ({@link dev.lb.hash.XxHash64}), and sticky sessions remembered in a {@link
 * dev.lb.hash.StickTable}.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}.
 */
@NullMarked
package dev.lb.hash;

import org.jspecify.annotations.NullMarked;

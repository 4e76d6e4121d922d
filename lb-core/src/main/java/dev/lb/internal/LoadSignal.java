package dev.lb.internal;

import org.jspecify.annotations.Nullable;

/**
 * An endpoint's live state that tells one {@link LoadWatcher} whenever its load changes, so that a
 * picker can keep an index of loads instead of scanning every endpoint on every pick. The
 * balancer's endpoint states implement it; a custom {@link dev.lb.strategy.LiveEndpoint} need not,
 * and pickers over one that does not fall back to scanning.
 *
 * <p>Thread-safe: registration is a lock-free swap.
 */
public interface LoadSignal {
  /**
   * Makes {@code watcher} the one told of every later load change, replacing the previous one.
   *
   * @param watcher the new watcher
   * @return the watcher it replaced, or null if there was none
   */
  @Nullable LoadWatcher watchLoad(LoadWatcher watcher);

  /**
   * Stops telling {@code watcher}, if it is still the registered one; does nothing otherwise.
   *
   * @param watcher the watcher to remove
   */
  void unwatchLoad(LoadWatcher watcher);
}

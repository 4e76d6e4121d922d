package dev.lb;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A balancer's {@link CallListener}s, read by every lease report: an array replaced on every change
 * (copy on write), so a report reads one volatile reference and loops over what it finds; an empty
 * array costs that read and a length test.
 *
 * <p>Thread-safe; changes are serialized on this object and rare.
 */
final class CallListeners {
  private static final System.Logger LOGGER = System.getLogger(LoadBalancer.class.getName());
  private static final CallListener[] NONE = new CallListener[0];

  private volatile CallListener[] listeners = NONE;

  CallListener[] current() {
    return listeners;
  }

  synchronized void add(CallListener listener) {
    CallListener[] now = listeners;
    CallListener[] next = Arrays.copyOf(now, now.length + 1);
    next[now.length] = listener;
    listeners = next;
  }

  synchronized boolean remove(CallListener listener) {
    CallListener[] now = listeners;
    for (int i = 0; i < now.length; i++) {
      if (now[i].equals(listener)) {
        CallListener[] next = new CallListener[now.length - 1];
        System.arraycopy(now, 0, next, 0, i);
        System.arraycopy(now, i + 1, next, i, now.length - i - 1);
        listeners = next;
        return true;
      }
    }
    return false;
  }

  static void success(CallListener[] ls, Endpoint endpoint, long latencyNanos, long bytes) {
    for (CallListener l : ls) {
      try {
        l.onSuccess(endpoint, latencyNanos, bytes);
      } catch (RuntimeException e) {
        log(e);
      }
    }
  }

  static void failure(
      CallListener[] ls, Endpoint endpoint, long latencyNanos, @Nullable Throwable cause) {
    for (CallListener l : ls) {
      try {
        l.onFailure(endpoint, latencyNanos, cause);
      } catch (RuntimeException e) {
        log(e);
      }
    }
  }

  static void successUntimed(CallListener[] ls, Endpoint endpoint, long bytes) {
    for (CallListener l : ls) {
      try {
        l.onSuccessUntimed(endpoint, bytes);
      } catch (RuntimeException e) {
        log(e);
      }
    }
  }

  static void failureUntimed(CallListener[] ls, Endpoint endpoint, @Nullable Throwable cause) {
    for (CallListener l : ls) {
      try {
        l.onFailureUntimed(endpoint, cause);
      } catch (RuntimeException e) {
        log(e);
      }
    }
  }

  static void cancel(CallListener[] ls, Endpoint endpoint) {
    for (CallListener l : ls) {
      try {
        l.onCancel(endpoint);
      } catch (RuntimeException e) {
        log(e);
      }
    }
  }

  private static void log(RuntimeException e) {
    LOGGER.log(System.Logger.Level.WARNING, "call listener threw", e);
  }
}

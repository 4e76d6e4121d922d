package dev.lb.okhttp;

import java.io.IOException;
import java.io.InterruptedIOException;
import okhttp3.Call;

/**
 * Waits out a retry's backoff on the thread that runs the call. Package-private so that tests can
 * record the waits instead of sleeping.
 */
@FunctionalInterface
interface Sleeper {
  /**
   * The real wait: sleeps in slices of at most {@value #SLICE_MILLIS} ms and checks between slices
   * whether the call was cancelled. OkHttp does not interrupt a cancelled synchronous call's
   * thread, and a call timeout cancels the call, so polling is what makes a cancel or a call
   * timeout end the wait within one slice. It reads no clock: each slice sleeps at least its
   * length, so the wait is never shorter than asked.
   */
  Sleeper REAL =
      (nanos, call) -> {
        long left = nanos;
        while (left > 0) {
          if (call.isCanceled()) {
            return;
          }
          long slice = Math.min(left, Sleeper.SLICE_MILLIS * 1_000_000L);
          try {
            Thread.sleep(slice / 1_000_000L, (int) (slice % 1_000_000L));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException io =
                new InterruptedIOException("interrupted during the retry backoff");
            io.initCause(e);
            throw io;
          }
          left -= slice;
        }
      };

  /** The longest sleep between two checks for cancellation. */
  long SLICE_MILLIS = 10;

  /**
   * Waits {@code nanos}, or less if {@code call} is cancelled meanwhile; the caller checks {@link
   * Call#isCanceled()} afterwards.
   *
   * @param nanos how long to wait, 0 or more
   * @param call the call whose cancellation ends the wait early
   * @throws IOException if the thread was interrupted (an {@link InterruptedIOException}, with the
   *     interrupt flag set again)
   */
  void sleep(long nanos, Call call) throws IOException;
}

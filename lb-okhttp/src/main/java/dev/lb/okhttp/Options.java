package dev.lb.okhttp;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Argument checks whose messages name the option and quote the rejected value: a null is a {@link
 * NullPointerException} naming it, a bad value an {@link IllegalArgumentException}. Their
 * parameters are {@code @Nullable} because checking for null is their job; the public parameters
 * they check are not.
 */
final class Options {
  private Options() {}

  static String notBlank(@Nullable String value, String option) {
    if (value == null) {
      throw new NullPointerException(option + " must not be null");
    }
    if (value.isBlank()) {
      throw new IllegalArgumentException(option + " must not be blank but was '" + value + "'");
    }
    return value;
  }

  static <T> T notNull(@Nullable T value, String option) {
    if (value == null) {
      throw new NullPointerException(option + " must not be null");
    }
    return value;
  }

  /** Returns {@code value} in nanoseconds if it is positive. */
  static long positiveNanos(@Nullable Duration value, String option) {
    if (value == null) {
      throw new NullPointerException(option + " must not be null");
    }
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(option + " must be positive but was " + value);
    }
    return value.toNanos();
  }

  static int positive(int value, String option) {
    if (value <= 0) {
      throw new IllegalArgumentException(option + " must be positive but was " + value);
    }
    return value;
  }

  static int statusCode(int code, String option) {
    if (code < 100 || code > 599) {
      throw new IllegalArgumentException(option + " must be in 100..599 but was " + code);
    }
    return code;
  }
}

package dev.lb.internal;

import org.jspecify.annotations.Nullable;

/**
 * Argument checks, the one home for them in lb: a null argument throws {@link NullPointerException}
 * naming the parameter (the JDK, Guava, Caffeine and OkHttp convention); an invalid value throws
 * {@link IllegalArgumentException} naming the option and quoting the value.
 */
public final class Checks {
  private Checks() {}

  /**
   * Throws {@link IllegalArgumentException} with {@code String.format(message, args)} unless {@code
   * condition} holds.
   */
  @SuppressWarnings("AnnotateFormatMethod") // @FormatMethod is not in the JDK; lb-core is JDK-only
  public static void checkArgument(boolean condition, String message, @Nullable Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(message, args));
    }
  }

  /**
   * Returns {@code value} if it is neither null nor blank; otherwise throws a {@link
   * NullPointerException} (null) or an {@link IllegalArgumentException} (blank, quoting the value)
   * naming {@code option}.
   */
  public static String checkNotBlank(@Nullable String value, String option) {
    if (value == null) {
      throw new NullPointerException(option + " must not be null");
    }
    if (value.isBlank()) {
      throw new IllegalArgumentException(option + " must not be blank but was '" + value + "'");
    }
    return value;
  }

  /**
   * Returns {@code value} if it is not null; otherwise throws a {@link NullPointerException} naming
   * {@code option}.
   */
  public static <T> T checkNotNull(@Nullable T value, String option) {
    if (value == null) {
      throw new NullPointerException(option + " must not be null");
    }
    return value;
  }
}

package dev.lb.grpc;

import io.grpc.Status;

/**
 * One-line texts for status descriptions: a description says what is wrong in one line, and the
 * exception behind it travels as the status's cause (which gRPC's {@code Status.toString} prints
 * with its whole stack trace, so it must never be folded into a description). Stateless.
 */
final class StatusText {
  private StatusText() {}

  /** A status in one line: its code and the first line of its description, without the cause. */
  static String describe(Status status) {
    String description = status.getDescription();
    return description == null
        ? status.getCode().toString()
        : status.getCode() + " (" + firstLine(description) + ")";
  }

  /** An exception in one line: its class and the first line of its message. */
  static String oneLine(Throwable t) {
    String message = t.getMessage();
    return message == null
        ? t.getClass().getSimpleName()
        : t.getClass().getSimpleName() + ": " + firstLine(message);
  }

  /** The first line of {@code text}, stripped. */
  static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return (newline < 0 ? text : text.substring(0, newline)).strip();
  }
}

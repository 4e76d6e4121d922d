package dev.lb.grpc;

import io.grpc.Status;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Decides how an RPC's final status is reported on its lease: {@code OK} and every application
 * answer ({@code NOT_FOUND}, {@code INVALID_ARGUMENT}, ...) are the endpoint's successes, the
 * configured failure codes its failures, and {@code CANCELLED} (the caller gave up) a cancellation
 * that leaves the latency statistics alone. Immutable.
 */
final class OutcomeClassifier {
  /** What a final status means for the endpoint that served the call. */
  enum Outcome {
    SUCCESS,
    FAILURE,
    CANCEL
  }

  // An EnumSet's contains is one bit test; never modified after construction.
  private final EnumSet<Status.Code> failureCodes = EnumSet.noneOf(Status.Code.class);

  OutcomeClassifier(Set<Status.Code> failureCodes) {
    this.failureCodes.addAll(failureCodes);
  }

  Outcome classify(Status.Code code) {
    if (code == Status.Code.CANCELLED) {
      return Outcome.CANCEL;
    }
    return failureCodes.contains(code) ? Outcome.FAILURE : Outcome.SUCCESS;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof OutcomeClassifier that && failureCodes.equals(that.failureCodes);
  }

  @Override
  public int hashCode() {
    return failureCodes.hashCode();
  }

  @Override
  public String toString() {
    return "failureStatuses=" + failureCodes;
  }
}

package dev.lb.okhttp;

import java.io.IOException;
import okhttp3.Response;

/**
 * Decides which outcomes of an attempt count as the endpoint's failure: reported with {@link
 * dev.lb.Lease#onFailure} (which raises its latency estimates and, once the balancer's health
 * lifecycle is configured, counts towards passive ejection) rather than {@link
 * dev.lb.Lease#onSuccess}.
 *
 * <p>Classification is separate from retrying: a 503 can be a failure and retried, a 404 is
 * neither. An I/O error the classifier does not count as a failure is reported with {@link
 * dev.lb.Lease#onCancel}, leaving the endpoint's statistics alone.
 *
 * <pre>{@code
 * FailureClassifier.builder()
 *     .serverErrors(true)       // 5xx
 *     .tooManyRequests(true)    // 429
 *     .statusCodes(408)         // and these
 *     .build();
 * }</pre>
 *
 * <p>Implementations must be thread-safe, fast and must not throw.
 */
public interface FailureClassifier {
  /**
   * Returns true if this response counts as the endpoint's failure.
   *
   * @param response the attempt's response, headers received; its body must not be read
   * @return true to report a failure, false to report a success
   */
  boolean isFailure(Response response);

  /**
   * Returns true if this I/O error counts as the endpoint's failure.
   *
   * @param error why the attempt failed; never a cancellation by the caller, which is always
   *     reported as a cancel
   * @return true to report a failure, false to report the attempt as abandoned
   */
  boolean isFailure(IOException error);

  /**
   * The default classification: connect errors, timeouts, other I/O errors and 5xx responses are
   * failures; 429 and every other status are not.
   *
   * @return the shared default classifier
   */
  static FailureClassifier defaults() {
    return StatusFailureClassifier.DEFAULT;
  }

  /**
   * Returns a builder starting from {@link #defaults()}.
   *
   * @return a new builder with the default classification
   */
  static Builder builder() {
    return new Builder();
  }

  /** Builds a status- and error-kind-based {@link FailureClassifier}. Not thread-safe. */
  final class Builder {
    boolean connectErrors = true;
    boolean timeouts = true;
    boolean otherIoErrors = true;
    boolean serverErrors = true;
    boolean tooManyRequests;
    final boolean[] extraCodes = new boolean[600];

    Builder() {}

    /**
     * Whether errors before the request was sent (refused or failed connections, TLS handshake
     * failures, unknown hosts) are failures. Default true.
     *
     * @param failure true to count them as failures
     * @return this builder
     */
    public Builder connectErrors(boolean failure) {
      this.connectErrors = failure;
      return this;
    }

    /**
     * Whether timeouts (connect, read, write) are failures. Default true.
     *
     * @param failure true to count them as failures
     * @return this builder
     */
    public Builder timeouts(boolean failure) {
      this.timeouts = failure;
      return this;
    }

    /**
     * Whether other I/O errors (a connection reset or closed mid-exchange) are failures. Default
     * true.
     *
     * @param failure true to count them as failures
     * @return this builder
     */
    public Builder otherIoErrors(boolean failure) {
      this.otherIoErrors = failure;
      return this;
    }

    /**
     * Whether 5xx responses are failures. Default true.
     *
     * @param failure true to count every status from 500 to 599 as a failure
     * @return this builder
     */
    public Builder serverErrors(boolean failure) {
      this.serverErrors = failure;
      return this;
    }

    /**
     * Whether 429 (Too Many Requests) responses are failures. Default false: an endpoint shedding
     * load is working as designed, and ejecting it would push its load onto the others.
     *
     * @param failure true to count 429 as a failure
     * @return this builder
     */
    public Builder tooManyRequests(boolean failure) {
      this.tooManyRequests = failure;
      return this;
    }

    /**
     * Adds specific status codes that are failures, on top of the categories above.
     *
     * @param codes status codes in 100..599
     * @return this builder
     * @throws IllegalArgumentException if a code is outside 100..599
     */
    public Builder statusCodes(int... codes) {
      for (int code : codes) {
        extraCodes[Options.statusCode(code, "failure status code")] = true;
      }
      return this;
    }

    /**
     * Returns the classifier.
     *
     * @return a new immutable classifier with the settings of this builder
     */
    public FailureClassifier build() {
      return new StatusFailureClassifier(this);
    }
  }
}

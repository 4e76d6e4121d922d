package dev.lb.okhttp;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.PickContext;
import dev.lb.retry.FailureKind;
import dev.lb.retry.RetryCall;
import dev.lb.retry.RetryDecision;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.CertificatePinner;
import okhttp3.CookieJar;
import okhttp3.Interceptor.Chain;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One balanced call: its attempts, one after the other, each on its own endpoint, until one is
 * returned or no retry is allowed. Modelled on OkHttp's {@code RetryAndFollowUpInterceptor}: the
 * loop in {@link #execute()} only sequences; each {@link Attempt} owns and ends its lease; the
 * decisions ({@link #recover}, {@link #followUp}, {@link #resendAllowed}) are small functions that
 * return a {@link Verdict} and act on nothing.
 *
 * <p>Not thread-safe: one instance per call, driven by the thread that runs the call (a {@link
 * HedgeableCall} adds what its hedge timer's thread may read).
 */
sealed class BalancedCall permits HedgeableCall {
  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancingInterceptor.class);

  private final Service service;
  private final Chain chain;
  private final Call call;
  private final Request original;
  private final LoadBalancer balancer;
  private final PickContext context;
  private final RetryCall retry;
  private final @Nullable TrackingRequestBody body;
  private final boolean bufferable;
  private @Nullable List<IOException> failures; // made on the first retry: most calls have none
  private final @Nullable Lease given; // one attempt of a HedgedCall: on this lease, no retry
  // That attempt's slot, told of each Attempt. Set at construction for an attempt on the hedge
  // client; for a HedgeableCall's first attempt, when its hedged call is made (another thread).
  private volatile HedgedCall.@Nullable Slot slot;

  BalancedCall(
      Service service, Chain chain, Request original, LoadBalancer balancer, PickContext context) {
    this(service, chain, original, balancer, context, null, null);
  }

  /**
   * One attempt of a {@link HedgedCall}, in {@code slot}, on the slot's lease: the stale-connection
   * rule still applies, but no other retry is made here; the hedged call decides those.
   */
  BalancedCall(
      Service service,
      Chain chain,
      Request original,
      LoadBalancer balancer,
      PickContext context,
      HedgedCall.Slot slot) {
    this(service, chain, original, balancer, context, slot.lease, slot);
  }

  /**
   * The first attempt of a {@link HedgeableCall}, on {@code first}: no retry here either; its slot
   * comes later, if its hedged call is made.
   */
  BalancedCall(
      Service service,
      Chain chain,
      Request original,
      LoadBalancer balancer,
      PickContext context,
      Lease first) {
    this(service, chain, original, balancer, context, first, null);
  }

  @SuppressWarnings("ReferenceEquality") // CookieJar.NO_COOKIES is a singleton sentinel
  private BalancedCall(
      Service service,
      Chain chain,
      Request original,
      LoadBalancer balancer,
      PickContext context,
      @Nullable Lease given,
      HedgedCall.@Nullable Slot slot) {
    this.service = service;
    this.given = given;
    this.slot = slot;
    CookieJar jar = chain.getCookieJar();
    // Copying the chain costs an allocation per call; a client built without it needs none.
    Chain c =
        chain.getRetryOnConnectionFailure() ? chain.withRetryOnConnectionFailure(false) : chain;
    this.chain =
        jar == CookieJar.NO_COOKIES
            ? c
            : c.withCookieJar(new LogicalCookieJar(jar, original.url()));
    this.call = chain.call();
    this.original = original;
    this.balancer = balancer;
    this.context = context;
    boolean idempotent = isIdempotent(original.method()) || service.hasIdempotencyKey(original);
    this.retry = service.retryPolicy().newCall(idempotent);
    boolean resend = resendAllowed(service, idempotent);
    RequestBody b = original.body();
    if (b == null
        && !resend
        && !original.method().equals("GET")
        && !original.method().equals("HEAD")) {
      b = TrackingRequestBody.EMPTY; // OkHttp checks one-shot-ness on the body only
    }
    this.body = b == null ? null : new TrackingRequestBody(b, resend);
    this.bufferable = resend;
  }

  static boolean isIdempotent(String method) {
    return switch (method) {
      case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE" -> true;
      default -> false;
    };
  }

  /**
   * Whether lb's rules could ever send this request again after it left: only then may OkHttp be
   * told its body can be re-sent, and only then is a response buffered so a failed body can fail
   * over.
   */
  static boolean resendAllowed(Service service, boolean idempotent) {
    return service.retryPolicy().isRetryable(FailureKind.TIMEOUT, idempotent);
  }

  Response execute() throws IOException {
    Lease lease = firstLease();
    boolean staleRetried = false;
    boolean countAttempt = true;
    while (true) {
      if (countAttempt) {
        retry.onAttempt(lease.endpoint().id());
      }
      countAttempt = true;
      Attempt attempt =
          new Attempt(
              lease,
              balancer.ticker(),
              retry.attempts(),
              service.attemptTimeoutNanos(),
              abortable());
      started(attempt); // so that a hedge that wins can abort it
      Response response = null;
      try {
        response = attemptChain(attempt).proceed(request(attempt));
        attempt.headersReceived();
        attempt.loadReport(response);
        response = attempt.restore(response);
        service.learnStickyCookie(response, attempt.endpoint());
        if (shouldBuffer(response)) {
          response = attempt.buffer(response);
        }
      } catch (IOException raw) {
        IOException e = attempt.explain(raw);
        if (!staleRetried && isStaleConnection(attempt, e)) {
          // The server closed the pooled connection while it sat idle (its keep-alive timeout is
          // shorter than the pool's): OkHttp would have retried this itself. Once, on the same
          // endpoint, on a fresh connection, not counted as an attempt nor as a failure.
          Lease same = sameEndpoint(attempt.endpoint());
          if (same != null) {
            attempt.end(Attempt.Report.CANCEL, 0, e);
            log(attempt, describe(e) + " on a reused connection, retried once on a new one");
            staleRetried = true;
            countAttempt = false;
            lease = same;
            continue;
          }
        }
        attempt.endWith(e, call, service.failureClassifier());
        Verdict verdict = call.isCanceled() ? Verdict.giveUp("cancelled") : recover(e);
        Lease next = nextLease(verdict);
        log(attempt, describe(e) + ", " + verdict.text(next));
        if (next == null) {
          throw withEarlierFailures(call.isCanceled() ? canceled(e) : e);
        }
        failed(e);
        lease = next;
        continue;
      } catch (RuntimeException | Error e) {
        if (response != null) {
          response.close(); // one owner: the response never leaves this attempt
        }
        attempt.end(Attempt.Report.FAILURE, 0, e);
        throw e;
      }

      int code = response.code();
      if (!attempt.isEnded() && service.failureClassifier().isFailure(response)) {
        attempt.end(
            Attempt.Report.FAILURE, 0, new StatusFailure(code, attempt.endpoint().address()));
      }
      Verdict verdict = followUp(response);
      if (verdict == null) {
        if (LOG.isDebugEnabled()) { // checked first: the message is built only when logged
          log(attempt, "HTTP " + code);
        }
        return deliver(attempt, response);
      }
      Lease next;
      try {
        next = nextLease(verdict);
      } catch (IOException | RuntimeException | Error e) {
        // Interrupted in the backoff (or the pick failed): the response is not delivered, so this
        // attempt still owns it and its lease; both end here, before the exception leaves.
        response.close();
        attempt.end(
            e instanceof java.io.InterruptedIOException
                ? Attempt.Report.CANCEL
                : Attempt.Report.FAILURE,
            0,
            e);
        throw e;
      }
      if (LOG.isDebugEnabled()) {
        log(attempt, "HTTP " + code + ", " + verdict.text(next));
      }
      if (next == null) {
        if (call.isCanceled()) {
          response.close();
          attempt.end(Attempt.Report.CANCEL, 0, null);
          throw new IOException("Canceled");
        }
        return deliver(attempt, response);
      }
      response.close();
      attempt.end(Attempt.Report.SUCCESS, 0, null); // a status not counted as a failure
      failed(new StatusFailure(code, attempt.endpoint().address()));
      lease = next;
    }
  }

  /**
   * Whether this call's attempts run on the caller's own chain yet may lose a hedged race, so must
   * be abortable alone ({@link Attempt#abort}).
   */
  boolean abortable() {
    HedgedCall.Slot s = slot;
    return s != null && s.inline();
  }

  /** Tells this call's slot, if it has one, of the attempt that runs now. */
  void started(Attempt attempt) {
    HedgedCall.Slot s = slot; // volatile read, after a HedgeableCall's write of its attempt
    if (s != null) {
      s.started(attempt);
    }
  }

  /** This call's slot in a hedged call, or null while it has none. */
  HedgedCall.@Nullable Slot slot() {
    return slot;
  }

  /** Gives a HedgeableCall's first attempt its slot, once its hedged call is made. */
  void slot(HedgedCall.Slot s) {
    slot = s;
  }

  Service service() {
    return service;
  }

  Chain chain() {
    return chain;
  }

  Request original() {
    return original;
  }

  LoadBalancer balancer() {
    return balancer;
  }

  PickContext context() {
    return context;
  }

  /** The lease of a hedged call's attempt (this call's first); never null in those calls. */
  @Nullable Lease given() {
    return given;
  }

  /**
   * The chain for one attempt: OkHttp's idle timeouts, never longer than the time left, and the
   * certificate pins of the service's name applied to the endpoint's host.
   */
  private Chain attemptChain(Attempt attempt) {
    Chain c = pinned(chain, attempt.endpoint());
    if (service.attemptTimeoutNanos() > 0
        || service.connectTimeoutMillis() > 0
        || service.readTimeoutMillis() > 0
        || service.writeTimeoutMillis() > 0) {
      c =
          c.withConnectTimeout(
                  timeout(attempt, service.connectTimeoutMillis(), chain.connectTimeoutMillis()),
                  TimeUnit.MILLISECONDS)
              .withReadTimeout(
                  timeout(attempt, service.readTimeoutMillis(), chain.readTimeoutMillis()),
                  TimeUnit.MILLISECONDS)
              .withWriteTimeout(
                  timeout(attempt, service.writeTimeoutMillis(), chain.writeTimeoutMillis()),
                  TimeUnit.MILLISECONDS);
    }
    return c;
  }

  /**
   * OkHttp checks pins against the URL's host, which after the rewrite is the endpoint's: pins the
   * user configured for the service's name would be skipped. This copies them onto the endpoint's
   * host, beside any pins for that host itself. Equal pins give equal pinners, so pooled
   * connections are still shared.
   */
  private Chain pinned(Chain c, Endpoint endpoint) {
    CertificatePinner pinner = c.getCertificatePinner();
    if (pinner.getPins().isEmpty()) {
      return c;
    }
    List<CertificatePinner.Pin> pins = pinner.findMatchingPins(service.pinnedName());
    if (pins.isEmpty()) {
      return c;
    }
    CertificatePinner.Builder b = new CertificatePinner.Builder();
    for (CertificatePinner.Pin pin : pins) {
      b.add(endpoint.host(), pin.toString());
    }
    for (CertificatePinner.Pin pin : pinner.findMatchingPins(endpoint.host())) {
      b.add(endpoint.host(), pin.toString());
    }
    return c.withCertificatePinner(b.build());
  }

  private static int timeout(Attempt attempt, int configuredMillis, int clientMillis) {
    int idle = configuredMillis > 0 ? configuredMillis : clientMillis;
    return (int) Math.min(Integer.MAX_VALUE, attempt.remainingMillis(idle));
  }

  /**
   * Decides whether an attempt that failed with an I/O error is retried. Two cases are ruled out
   * before lb-core's policy is asked, so that they spend no budget: a one-shot body that started to
   * be written cannot be sent again, and a call that tried every member of its group has nowhere to
   * go. Then the policy decides from the failure kind, the attempts left and the budget.
   */
  private Verdict recover(IOException e) {
    return decide(IoErrors.retryKind(e));
  }

  /**
   * Decides what a response means: null to return it to the caller, or a verdict to retry it (a
   * {@link Service.Builder#retryStatuses retry status}, under the same method rules as a lost
   * answer).
   */
  private @Nullable Verdict followUp(Response response) {
    if (!service.isRetryableStatus(response.code())) {
      return null;
    }
    return decide(FailureKind.UNAVAILABLE);
  }

  private Verdict decide(FailureKind kind) {
    if (given != null) {
      return Verdict.giveUp("one attempt of a hedged call");
    }
    if (body != null && body.oneShotBodyWritten()) {
      return Verdict.giveUp("one-shot body already sent");
    }
    if (retry.triedEndpointIds().size() >= balancer.endpoints().size()) {
      return Verdict.giveUp("every endpoint tried");
    }
    if (!untriedCanTakeIt()) {
      // Checked before the budget is asked, so that a retry with nowhere to go spends nothing.
      return Verdict.giveUp("no untried endpoint can take it");
    }
    RetryDecision decision = retry.onFailure(kind);
    return decision.shouldRetry()
        ? new Verdict(null, decision.delayNanos())
        : Verdict.giveUp(kind + ": " + decision.outcome());
  }

  /**
   * Whether to read the response body whole inside the attempt: only for requests lb could send
   * again, a successful response, and a body of known length within the service's limit. Bodies of
   * unknown length (chunked, streams) are never buffered, so a stream is not held back.
   */
  private boolean shouldBuffer(Response response) {
    if (!bufferable || service.responseBufferBytes() <= 0 || !response.isSuccessful()) {
      return false;
    }
    if (service.failureClassifier().isFailure(response)) {
      return false; // a 2xx the classifier counts as a failure is reported as one, unbuffered
    }
    long length = response.body().contentLength();
    return length > 0 && length <= service.responseBufferBytes();
  }

  private Response deliver(Attempt attempt, Response response) {
    if (attempt.isEnded()) {
      return response;
    }
    if (response.body().contentLength() == 0) {
      attempt.end(Attempt.Report.SUCCESS, 0, null);
      return response;
    }
    return response
        .newBuilder()
        .body(new AttemptBody(response.body(), attempt, call, service.failureClassifier()))
        .build();
  }

  /**
   * For a granted retry, waits out its backoff, then picks among the endpoints this call has not
   * tried. Returns null if the retry was not granted, no untried endpoint can take it, or the call
   * was cancelled: then the last outcome stands.
   */
  private @Nullable Lease nextLease(Verdict verdict) throws IOException {
    if (verdict.whyNot() != null) {
      return null;
    }
    if (verdict.delayNanos() > 0) {
      service.sleeper().sleep(verdict.delayNanos(), call);
    }
    if (call.isCanceled()) {
      return null;
    }
    return balancer.tryPick(excludingTried());
  }

  /**
   * Whether an endpoint this call has not tried could take a retry now ({@link
   * LoadBalancer#choose}: nothing is taken or counted). Only if the state changes during the
   * backoff does a granted retry find no endpoint after all.
   */
  private boolean untriedCanTakeIt() {
    try {
      balancer.choose(excludingTried());
      return true;
    } catch (NoEndpointAvailableException e) {
      return false;
    }
  }

  private PickContext excludingTried() {
    PickContext.Builder excluding = context.toBuilder();
    for (String id : retry.triedEndpointIds()) {
      excluding.exclude(id);
    }
    return excluding.build();
  }

  /**
   * Whether {@code e} is a pooled connection that went stale: the exchange ran on a reused
   * connection, nothing of the response arrived, it was neither a timeout nor a cancel, and lb's
   * rules allow this request to be sent again (so a request that may not be re-sent is never
   * repeated, even here).
   */
  private boolean isStaleConnection(Attempt attempt, IOException e) {
    return attempt.reusedConnection()
        && !attempt.hasHeaders()
        && !attempt.aborted()
        && bufferable
        && (body == null || !body.oneShotBodyWritten())
        && !(e instanceof java.io.InterruptedIOException)
        && !attempt.timedOut()
        && !call.isCanceled();
  }

  /** A lease on {@code endpoint} itself, if it can take one now; null otherwise. */
  private @Nullable Lease sameEndpoint(Endpoint endpoint) {
    PickContext.Builder only = context.toBuilder();
    for (Endpoint e : balancer.endpoints()) {
      if (!e.id().equals(endpoint.id())) {
        only.exclude(e.id());
      }
    }
    return balancer.tryPick(only.build());
  }

  /**
   * Picks the first attempt's endpoint; no endpoint is an {@link IOException}, as OkHttp expects.
   */
  private Lease firstLease() throws IOException {
    if (given != null) {
      return given;
    }
    return firstLease(service, balancer, context);
  }

  /** A call's first pick; no endpoint is an {@link IOException}, as OkHttp expects. */
  static Lease firstLease(Service service, LoadBalancer balancer, PickContext context)
      throws IOException {
    try {
      // One pick, not tryPick then pick: a traffic policy's drop is drawn once per call.
      return balancer.pick(context);
    } catch (NoEndpointAvailableException e) {
      throw new IOException(e.getMessage() + " (service '" + service.host() + "')", e);
    }
  }

  /** The pick context of a call with {@code key}, or of a call without one. */
  static PickContext context(@Nullable String key) {
    return key == null ? PickContext.none() : PickContext.ofKey(key);
  }

  /** The attempt's request: the endpoint's address, the attempt's tags, the tracked body. */
  private Request request(Attempt attempt) {
    Endpoint endpoint = attempt.endpoint();
    Request.Builder rewritten =
        original
            .newBuilder()
            .url(service.attemptUrl(original.url(), endpoint))
            .tag(Endpoint.class, endpoint)
            .tag(Attempt.class, attempt)
            .tag(AttemptInfo.class, new AttemptInfo(service.host(), endpoint, attempt.number()));
    String host = service.hostHeaderFor(original);
    if (host != null && original.header("Host") == null) {
      rewritten.header("Host", host);
    }
    if (body != null) {
      rewritten.method(original.method(), body);
    }
    return rewritten.build();
  }

  private void failed(IOException e) {
    List<IOException> list = failures;
    if (list == null) {
      list = new ArrayList<>(2);
      failures = list;
    }
    list.add(e);
  }

  /** The last failure, carrying every earlier attempt's failure as suppressed. */
  private IOException withEarlierFailures(IOException last) {
    List<IOException> list = failures;
    if (list != null) {
      for (IOException earlier : list) { // never holds last: a failure is added once retried
        last.addSuppressed(earlier);
      }
    }
    return last;
  }

  private static IOException canceled(IOException e) {
    if ("Canceled".equals(e.getMessage())) {
      return e;
    }
    IOException canceled = new IOException("Canceled");
    canceled.initCause(e);
    return canceled;
  }

  private static String describe(IOException e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private void log(Attempt attempt, String outcome) {
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "{} attempt {}: {} {} -> {}: {} in {} ms",
          service.host(),
          attempt.number(),
          original.method(),
          original.url().encodedPath(),
          attempt.endpoint().id(),
          outcome,
          String.format("%.1f", attempt.elapsedNanos() / 1e6));
    }
  }

  /** A retry decision: granted after a delay ({@code whyNot} null), or refused and why. */
  record Verdict(@Nullable String whyNot, long delayNanos) {
    static Verdict giveUp(String why) {
      return new Verdict(why, 0);
    }

    String text(@Nullable Lease next) {
      if (whyNot != null) {
        return "giving up (" + whyNot + ")";
      }
      return next == null
          ? "giving up (no untried endpoint can take it)"
          : "retrying on " + next.endpoint().id() + " after " + delayNanos / 1_000_000 + " ms";
    }
  }
}

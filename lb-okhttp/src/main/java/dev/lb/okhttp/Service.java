package dev.lb.okhttp;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.Ticker;
import dev.lb.strategy.Strategies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * One logical service that the {@link LoadBalancingInterceptor} balances: requests whose URL host
 * is the service's name (such as {@code http://users/...}) are routed to an endpoint group, sent to
 * one endpoint per attempt, and retried on another when the rules allow.
 *
 * <pre>{@code
 * Service users = Service.builder("users")
 *     .route(Route.pathPrefix("/api/", apiBalancer))
 *     .defaultTarget(TrafficSplit.builder().arm("stable", stable, 95).arm("canary", canary, 5).build())
 *     .keyExtractor(KeyExtractor.cookie("session"))
 *     .attemptTimeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 *
 * <p>Immutable configuration plus the service's live retry budget and stick table; thread-safe,
 * shared by every call to the service.
 */
public final class Service {
  private final String host;
  private final List<Route> routes;
  private final TrafficSplit defaultTarget;
  private final @Nullable String scheme;
  private final @Nullable String tlsHostname;
  private final KeyExtractor keyExtractor;
  private final FailureClassifier failureClassifier;
  private final long attemptTimeoutNanos;
  private final RetryDecider retry;
  private final @Nullable StickTable stickTable;

  private Service(Builder b, TrafficSplit defaultTarget) {
    this.host = b.host;
    this.routes = List.copyOf(b.routes);
    this.defaultTarget = defaultTarget;
    this.scheme = b.scheme;
    this.tlsHostname = b.tlsHostname;
    this.keyExtractor = b.keyExtractor;
    this.failureClassifier = b.failureClassifier;
    this.attemptTimeoutNanos = b.attemptTimeoutNanos;
    this.retry =
        new RetryDecider(
            b.maxAttempts,
            b.retryNonIdempotent,
            b.retryStatuses,
            new RetryBudget(b.percentCanRetry, b.minRetriesPerSecond, b.budgetTtlNanos, b.ticker));
    this.stickTable =
        b.stickTableSize > 0
            ? new StickTable(b.stickTableSize, b.stickTableIdleNanos, b.ticker)
            : null;
  }

  /**
   * Returns a service that sends every request for {@code host} to one balancer, with the default
   * options.
   *
   * @param host the logical host name that requests use, such as {@code users}
   * @param balancer the balancer over the service's endpoints; must not be null
   * @return a new service
   * @throws IllegalArgumentException if {@code host} is blank or {@code balancer} is null
   */
  public static Service of(@Nullable String host, @Nullable LoadBalancer balancer) {
    return builder(host).defaultTarget(balancer).build();
  }

  /**
   * Returns a builder for the service reached through {@code host}.
   *
   * @param host the logical host name that requests use, such as {@code users}; matched without
   *     case; must not be null or blank
   * @return a new builder with the default options and no routes
   * @throws IllegalArgumentException if {@code host} is null or blank
   */
  public static Builder builder(@Nullable String host) {
    return new Builder(Options.notBlank(host, "service host").toLowerCase(Locale.ROOT));
  }

  /**
   * The logical host name this service answers to, in lower case.
   *
   * @return the host given to {@link #builder(String)}
   */
  public String host() {
    return host;
  }

  /**
   * The routing rules, in the order they are tried.
   *
   * @return an immutable list, empty if every request goes to the default target
   */
  public List<Route> routes() {
    return routes;
  }

  /**
   * Where requests that match no route go.
   *
   * @return the default traffic split
   */
  public TrafficSplit defaultTarget() {
    return defaultTarget;
  }

  TrafficSplit targetFor(Request request) {
    for (Route r : routes) {
      if (r.matches(request)) {
        return r.target();
      }
    }
    return defaultTarget;
  }

  /** Every balancer this service may send to, each once. */
  Set<LoadBalancer> balancers() {
    Set<LoadBalancer> all = new LinkedHashSet<>();
    for (Route r : routes) {
      r.target().arms().forEach(a -> all.add(a.balancer()));
    }
    defaultTarget.arms().forEach(a -> all.add(a.balancer()));
    return all;
  }

  @Nullable String scheme() {
    return scheme;
  }

  @Nullable String tlsHostname() {
    return tlsHostname;
  }

  KeyExtractor keyExtractor() {
    return keyExtractor;
  }

  FailureClassifier failureClassifier() {
    return failureClassifier;
  }

  long attemptTimeoutNanos() {
    return attemptTimeoutNanos;
  }

  RetryDecider retry() {
    return retry;
  }

  @Nullable StickTable stickTable() {
    return stickTable;
  }

  @Override
  public String toString() {
    return "Service{" + host + ", routes=" + routes + ", default=" + defaultTarget + "}";
  }

  /** Builds a {@link Service}. Not thread-safe; every option is validated when set. */
  public static final class Builder {
    private final String host;
    private final List<Route> routes = new ArrayList<>();
    private @Nullable TrafficSplit defaultTarget;
    private @Nullable String scheme;
    private @Nullable String tlsHostname;
    private KeyExtractor keyExtractor = KeyExtractor.NONE;
    private boolean hasKeyExtractor;
    private FailureClassifier failureClassifier = FailureClassifier.defaults();
    private long attemptTimeoutNanos;
    private int maxAttempts = 3;
    private boolean retryNonIdempotent;
    private boolean[] retryStatuses = statusTable(502, 503, 504);
    private double percentCanRetry = 0.2;
    private int minRetriesPerSecond = 10;
    private long budgetTtlNanos = Duration.ofSeconds(10).toNanos();
    private long stickTableSize;
    private long stickTableIdleNanos;
    private Ticker ticker = Ticker.systemTicker();

    private Builder(String host) {
      this.host = host;
    }

    /**
     * Adds a routing rule after those already added; the first rule that matches a request wins.
     *
     * @param route the rule; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code route} is null
     */
    public Builder route(@Nullable Route route) {
      routes.add(Options.notNull(route, "route"));
      return this;
    }

    /**
     * Sets where requests that match no route go.
     *
     * @param target the default traffic split; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code target} is null
     */
    public Builder defaultTarget(@Nullable TrafficSplit target) {
      this.defaultTarget = Options.notNull(target, "default target");
      return this;
    }

    /**
     * Sets the one group that requests matching no route go to.
     *
     * @param balancer the default group's balancer; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code balancer} is null
     */
    public Builder defaultTarget(@Nullable LoadBalancer balancer) {
      return defaultTarget(TrafficSplit.of(balancer));
    }

    /**
     * Sets the default target to a new balancer over {@code endpoints} that picks with the strategy
     * named {@code strategy} (see {@link Strategies#names()}), named after the service.
     *
     * @param strategy a strategy name such as {@code round_robin} or {@code p2c}
     * @param endpoints the service's endpoints; must not be empty
     * @return this builder
     * @throws IllegalArgumentException if the strategy name is unknown or {@code endpoints} is null
     *     or empty
     */
    public Builder endpoints(@Nullable String strategy, @Nullable Collection<Endpoint> endpoints) {
      Collection<Endpoint> list = Options.notNull(endpoints, "endpoints of service '" + host + "'");
      if (list.isEmpty()) {
        throw new IllegalArgumentException(
            "endpoints of service '" + host + "' must not be empty but was []");
      }
      LoadBalancer balancer =
          LoadBalancer.builder()
              .name(host)
              .strategy(Strategies.byName(Options.notNull(strategy, "strategy")))
              .endpoints(list)
              .build();
      return defaultTarget(balancer);
    }

    /**
     * Sets the scheme that endpoints speak, {@code http} or {@code https}. By default each request
     * keeps its own scheme.
     *
     * @param scheme {@code http} or {@code https}, in any case
     * @return this builder
     * @throws IllegalArgumentException if {@code scheme} is neither
     */
    public Builder scheme(@Nullable String scheme) {
      String s = Options.notBlank(scheme, "scheme").toLowerCase(Locale.ROOT);
      if (!s.equals("http") && !s.equals("https")) {
        throw new IllegalArgumentException(
            "scheme must be 'http' or 'https' but was '" + scheme + "'");
      }
      this.scheme = s;
      return this;
    }

    /**
     * Verifies every endpoint's TLS certificate against this one name, instead of against each
     * endpoint's own host (the default). Use it when endpoints are addressed by IP but present a
     * certificate for the service's name.
     *
     * @param name the name the certificates must be valid for, such as {@code users.internal}
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Builder tlsHostname(@Nullable String name) {
      this.tlsHostname = Options.notBlank(name, "tls hostname").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Sets how a request's affinity key is found. None by default.
     *
     * @param extractor the key extractor; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code extractor} is null
     */
    public Builder keyExtractor(@Nullable KeyExtractor extractor) {
      this.keyExtractor = Options.notNull(extractor, "key extractor");
      this.hasKeyExtractor = true;
      return this;
    }

    /**
     * Sets which outcomes count as an endpoint's failure. {@link FailureClassifier#defaults()} by
     * default.
     *
     * @param classifier the classifier; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code classifier} is null
     */
    public Builder failureClassifier(@Nullable FailureClassifier classifier) {
      this.failureClassifier = Options.notNull(classifier, "failure classifier");
      return this;
    }

    /**
     * Bounds each attempt's connect, read and write time, so that an endpoint that accepts
     * connections but never answers fails over instead of holding the call. By default each attempt
     * keeps the client's timeouts. The client's call timeout still bounds the whole call.
     *
     * @param timeout the per-attempt connect, read and write timeout; positive, at most about 24
     *     days
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is null, zero, negative or too large
     */
    public Builder attemptTimeout(@Nullable Duration timeout) {
      long nanos = Options.positiveNanos(timeout, "attempt timeout");
      if (nanos / 1_000_000 > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "attempt timeout must be at most " + Integer.MAX_VALUE + " ms but was " + timeout);
      }
      this.attemptTimeoutNanos = Math.max(nanos, 1_000_000);
      return this;
    }

    /**
     * Sets how many attempts a call may make in all, the first included. Default 3; 1 turns retries
     * off.
     *
     * @param attempts at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code attempts} is not positive
     */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = Options.positive(attempts, "max attempts");
      return this;
    }

    /**
     * Lets timeouts, I/O errors and retryable statuses be retried for non-idempotent methods (POST,
     * PATCH) too. Off by default: such a request may have taken effect. A one-shot body is never
     * sent twice either way.
     *
     * @param retry true to retry every method
     * @return this builder
     */
    public Builder retryNonIdempotent(boolean retry) {
      this.retryNonIdempotent = retry;
      return this;
    }

    /**
     * Sets the response statuses that are retried on another endpoint. Default 502, 503, 504.
     *
     * @param codes status codes in 100..599; none turns status retries off
     * @return this builder
     * @throws IllegalArgumentException if a code is outside 100..599
     */
    public Builder retryStatuses(int... codes) {
      for (int code : codes) {
        Options.statusCode(code, "retry status");
      }
      this.retryStatuses = statusTable(codes);
      return this;
    }

    /**
     * Sets the retry budget: retries may add at most {@code percentCanRetry} of the calls made in
     * the last {@code ttl}, plus a reserve of {@code minRetriesPerSecond}. Defaults (Finagle's):
     * 0.2, 10, 10 seconds.
     *
     * @param percentCanRetry retries allowed per call, from 0 to 1000 (0.2 is 20%)
     * @param minRetriesPerSecond retries always allowed per second, 0 or more
     * @param ttl how long a call's deposit lasts; positive
     * @return this builder
     * @throws IllegalArgumentException if a value is out of range
     */
    public Builder retryBudget(
        double percentCanRetry, int minRetriesPerSecond, @Nullable Duration ttl) {
      if (!(percentCanRetry >= 0 && percentCanRetry <= 1000)) {
        throw new IllegalArgumentException(
            "percent can retry must be in 0..1000 but was " + percentCanRetry);
      }
      if (minRetriesPerSecond < 0) {
        throw new IllegalArgumentException(
            "min retries per second must be 0 or more but was " + minRetriesPerSecond);
      }
      this.budgetTtlNanos = Options.positiveNanos(ttl, "retry budget ttl");
      this.percentCanRetry = percentCanRetry;
      this.minRetriesPerSecond = minRetriesPerSecond;
      return this;
    }

    /**
     * Keeps a stick table: after a successful call, the endpoint that served the call's affinity
     * key is remembered (per balancer), and the key's next calls go back to it while it is a
     * member. Needs a {@link #keyExtractor}, and balancers whose strategy is a {@link
     * StickyStrategy}.
     *
     * @param maximumSize the most keys to remember; older, rarely used ones are evicted first
     * @param idleExpiry how long a key is remembered after its last use; positive
     * @return this builder
     * @throws IllegalArgumentException if {@code maximumSize} is not positive or {@code idleExpiry}
     *     is not positive
     */
    public Builder stickTable(long maximumSize, @Nullable Duration idleExpiry) {
      if (maximumSize <= 0) {
        throw new IllegalArgumentException(
            "stick table maximum size must be positive but was " + maximumSize);
      }
      this.stickTableIdleNanos = Options.positiveNanos(idleExpiry, "stick table idle expiry");
      this.stickTableSize = maximumSize;
      return this;
    }

    /**
     * Sets the clock of the retry budget and the stick table. The system ticker by default; tests
     * pass a fake one. Attempt latencies are timed with each balancer's own ticker.
     *
     * @param ticker the clock; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code ticker} is null
     */
    public Builder ticker(@Nullable Ticker ticker) {
      this.ticker = Options.notNull(ticker, "ticker");
      return this;
    }

    /**
     * Returns the service.
     *
     * @return a new service with the settings of this builder
     * @throws IllegalArgumentException if no default target was set, or a stick table is configured
     *     without a key extractor or over a balancer whose strategy is not a {@link StickyStrategy}
     */
    public Service build() {
      TrafficSplit target = defaultTarget;
      if (target == null) {
        throw new IllegalArgumentException(
            "service '"
                + host
                + "' needs a default target for requests that match no route"
                + " (defaultTarget or endpoints)");
      }
      Service service = new Service(this, target);
      if (stickTableSize > 0) {
        if (!hasKeyExtractor) {
          throw new IllegalArgumentException(
              "service '" + host + "' has a stick table but no key extractor");
        }
        for (LoadBalancer b : service.balancers()) {
          if (!(b.strategy() instanceof StickyStrategy)) {
            throw new IllegalArgumentException(
                "service '"
                    + host
                    + "' has a stick table, so balancer '"
                    + b.name()
                    + "' must pick with StickyStrategy.wrap(...) but its strategy is '"
                    + b.strategy().name()
                    + "'");
          }
        }
      }
      return service;
    }

    private static boolean[] statusTable(int... codes) {
      boolean[] table = new boolean[600];
      for (int code : codes) {
        table[code] = true;
      }
      return table;
    }
  }
}

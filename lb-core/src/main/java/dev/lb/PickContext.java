package dev.lb;

import static dev.lb.internal.Checks.checkNotBlank;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a strategy may know about the call it picks for: an optional affinity key (for consistent
 * hashing and sticky sessions) and free-form attributes (method, path, tenant, ...).
 *
 * <p>Most calls need neither: {@link #none()} returns a shared empty context, so picking without a
 * context allocates nothing. A context with a key is one small object; a {@code long} key is stored
 * unboxed.
 *
 * <pre>{@code
 * Lease lease = balancer.pick(PickContext.ofKey(userId));
 * PickContext ctx = PickContext.builder().key(sessionId).attribute("path", "/api/users").build();
 * }</pre>
 *
 * <p>A context may also <b>exclude</b> endpoints by id: a retry excludes the endpoints it already
 * tried, so that it goes to a different one (nginx's {@code proxy_next_upstream}, HAProxy's {@code
 * redispatch}). Hash-based strategies then move the key to its next endpoint in their own order.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class PickContext {
  private static final PickContext NONE =
      new PickContext(KeyKind.NONE, null, 0L, Map.of(), Set.of());

  /** What kind of affinity key a context carries. */
  public enum KeyKind {
    /** No key: hash-based strategies fall back to their non-hash strategy. */
    NONE,
    /** A {@link CharSequence} key, read with {@link #charsKey()}. */
    CHARS,
    /** A byte array key, read with {@link #bytesKey()}. */
    BYTES,
    /** A {@code long} key, read with {@link #longKey()}. */
    LONG
  }

  private final KeyKind keyKind;
  private final @Nullable Object objectKey;
  private final long longKey;
  private final Map<String, Object> attributes;
  private final Set<String> excluded;
  private final boolean excludes; // !excluded.isEmpty(), read on every pick without a call

  private PickContext(
      KeyKind keyKind,
      @Nullable Object objectKey,
      long longKey,
      Map<String, Object> attributes,
      Set<String> excluded) {
    this.keyKind = keyKind;
    this.objectKey = objectKey;
    this.longKey = longKey;
    this.attributes = attributes;
    this.excluded = excluded;
    this.excludes = !excluded.isEmpty();
  }

  /**
   * Returns the shared empty context: no key, no attributes.
   *
   * @return the one context of {@link KeyKind#NONE} with no attributes, the same instance on every
   *     call
   */
  public static PickContext none() {
    return NONE;
  }

  /**
   * Returns a context whose affinity key is {@code key}.
   *
   * @param key the affinity key, such as a user or session id; must not be null, and must not be
   *     modified while the context is in use
   * @return a new context of {@link KeyKind#CHARS} with no attributes
   * @throws NullPointerException if {@code key} is null
   */
  public static PickContext ofKey(CharSequence key) {
    return new PickContext(KeyKind.CHARS, checkNotNull(key, "key"), 0L, Map.of(), Set.of());
  }

  /**
   * Returns a context whose affinity key is {@code key}.
   *
   * @param key the affinity key, such as a numeric user or shard id; any value
   * @return a new context of {@link KeyKind#LONG} with no attributes
   */
  public static PickContext ofKey(long key) {
    return new PickContext(KeyKind.LONG, null, key, Map.of(), Set.of());
  }

  /**
   * Returns a context whose affinity key is {@code key}. The array is not copied: do not modify it
   * while the context is in use.
   *
   * @param key the affinity key as raw bytes; must not be null, may be empty
   * @return a new context of {@link KeyKind#BYTES} with no attributes
   * @throws NullPointerException if {@code key} is null
   */
  public static PickContext ofKey(byte[] key) {
    return new PickContext(KeyKind.BYTES, checkNotNull(key, "key"), 0L, Map.of(), Set.of());
  }

  /**
   * Returns a builder for a context with a key and attributes.
   *
   * @return a new builder with no key and no attributes
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Which kind of key this context carries, {@link KeyKind#NONE} if none.
   *
   * @return the key's kind, which says which of {@link #charsKey()}, {@link #bytesKey()} and {@link
   *     #longKey()} may be called; never null
   */
  public KeyKind keyKind() {
    return keyKind;
  }

  /**
   * Returns true if this context carries an affinity key.
   *
   * @return true if {@link #keyKind()} is not {@link KeyKind#NONE}
   */
  public boolean hasKey() {
    return keyKind != KeyKind.NONE;
  }

  /**
   * Returns the {@link CharSequence} key.
   *
   * @return the key this context was created with, the same instance
   * @throws IllegalStateException if {@link #keyKind()} is not {@link KeyKind#CHARS}
   */
  public CharSequence charsKey() {
    checkKind(KeyKind.CHARS);
    return (CharSequence) castNonNull(objectKey);
  }

  /**
   * Returns the byte array key (not a copy).
   *
   * @return the array this context was created with, which callers must not modify
   * @throws IllegalStateException if {@link #keyKind()} is not {@link KeyKind#BYTES}
   */
  public byte[] bytesKey() {
    checkKind(KeyKind.BYTES);
    return (byte[]) castNonNull(objectKey);
  }

  /**
   * Returns the {@code long} key.
   *
   * @return the key this context was created with
   * @throws IllegalStateException if {@link #keyKind()} is not {@link KeyKind#LONG}
   */
  public long longKey() {
    checkKind(KeyKind.LONG);
    return longKey;
  }

  /**
   * Returns the attribute named {@code name}, or null if absent.
   *
   * @param name the attribute's name, as given to {@link Builder#attribute(String, Object)}
   * @return the attribute's value, never null if present, or null if this context has no attribute
   *     of that name
   * @throws NullPointerException if {@code name} is null
   */
  public @Nullable Object attribute(String name) {
    return attributes.get(checkNotNull(name, "name"));
  }

  /**
   * Returns every attribute; an immutable map.
   *
   * @return an immutable map from attribute name to value, empty if the context has none
   */
  public Map<String, Object> attributes() {
    return attributes;
  }

  /**
   * The ids of the endpoints this call must not go to, typically those a retry already tried.
   *
   * @return an immutable set of endpoint ids, empty if none are excluded
   */
  public Set<String> excludedIds() {
    return excluded;
  }

  /**
   * Returns true if the endpoint with this id must not take the call.
   *
   * @param endpointId an {@link Endpoint#id() endpoint id}
   * @return true if the id is among {@link #excludedIds()}
   * @throws NullPointerException if {@code endpointId} is null
   */
  public boolean isExcluded(String endpointId) {
    checkNotNull(endpointId, "endpointId");
    return excludes && excluded.contains(endpointId);
  }

  /** Whether any endpoint is excluded: a field read, for the pick path. */
  boolean excludesAny() {
    return excludes;
  }

  /**
   * Returns a builder holding this context's key, attributes and exclusions, to derive a variant (a
   * retry's context that also excludes the endpoint just tried, say).
   *
   * @return a new builder initialised from this context
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.keyKind = keyKind;
    b.objectKey = objectKey;
    b.longKey = longKey;
    b.attributes.putAll(attributes);
    b.excluded.addAll(excluded);
    return b;
  }

  private void checkKind(KeyKind expected) {
    if (keyKind != expected) {
      throw new IllegalStateException("key kind is " + keyKind + ", not " + expected);
    }
  }

  private static Object castNonNull(@Nullable Object o) {
    if (o == null) {
      throw new AssertionError();
    }
    return o;
  }

  @Override
  public String toString() {
    String key =
        switch (keyKind) {
          case CHARS -> "'" + objectKey + "'";
          case BYTES -> ((byte[]) castNonNull(objectKey)).length + " bytes";
          case LONG -> Long.toString(longKey);
          default -> "none";
        };
    return "PickContext{key="
        + key
        + ", attributes="
        + attributes
        + (excluded.isEmpty() ? "" : ", excluded=" + excluded)
        + "}";
  }

  /** Builds a {@link PickContext}. Not thread-safe. */
  public static final class Builder {
    private KeyKind keyKind = KeyKind.NONE;
    private @Nullable Object objectKey;
    private long longKey;
    private final Map<String, Object> attributes = new LinkedHashMap<>();
    private final Set<String> excluded = new LinkedHashSet<>();

    private Builder() {}

    /**
     * Sets the affinity key, replacing any earlier key.
     *
     * @param key the affinity key, such as a user or session id; must not be null, and must not be
     *     modified while the context is in use
     * @return this builder
     * @throws NullPointerException if {@code key} is null
     */
    public Builder key(CharSequence key) {
      this.objectKey = checkNotNull(key, "key");
      this.keyKind = KeyKind.CHARS;
      return this;
    }

    /**
     * Sets the affinity key, replacing any earlier key.
     *
     * @param key the affinity key, such as a numeric user or shard id; any value
     * @return this builder
     */
    public Builder key(long key) {
      this.objectKey = null;
      this.longKey = key;
      this.keyKind = KeyKind.LONG;
      return this;
    }

    /**
     * Sets the affinity key (not copied), replacing any earlier key.
     *
     * @param key the affinity key as raw bytes; must not be null, and must not be modified while
     *     the context is in use
     * @return this builder
     * @throws NullPointerException if {@code key} is null
     */
    public Builder key(byte[] key) {
      this.objectKey = checkNotNull(key, "key");
      this.keyKind = KeyKind.BYTES;
      return this;
    }

    /**
     * Adds an attribute, replacing any earlier value under {@code name}.
     *
     * @param name the attribute's name, such as {@code path} or {@code tenant}; must not be null or
     *     blank
     * @param value the attribute's value; must not be null
     * @return this builder
     * @throws NullPointerException if {@code name} or {@code value} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder attribute(String name, Object value) {
      checkNotBlank(name, "attribute name");
      if (value == null) {
        throw new NullPointerException("attribute value for '" + name + "' must not be null");
      }
      attributes.put(name, value);
      return this;
    }

    /**
     * Excludes the endpoint with this id: the call will not go to it.
     *
     * @param endpointId the {@link Endpoint#id() id} of an endpoint to avoid; must not be null or
     *     blank
     * @return this builder
     * @throws NullPointerException if {@code endpointId} is null
     * @throws IllegalArgumentException if {@code endpointId} is blank
     */
    public Builder exclude(String endpointId) {
      excluded.add(checkNotBlank(endpointId, "excluded endpoint id"));
      return this;
    }

    /**
     * Excludes this endpoint: the call will not go to it.
     *
     * @param endpoint an endpoint to avoid, matched by {@link Endpoint#id() id}; must not be null
     * @return this builder
     * @throws NullPointerException if {@code endpoint} is null
     */
    public Builder exclude(Endpoint endpoint) {
      return exclude(checkNotNull(endpoint, "excluded endpoint").id());
    }

    /**
     * Returns the context.
     *
     * @return {@link PickContext#none()} if neither a key nor an attribute was set, otherwise a new
     *     context with the key and a copy of the attributes set on this builder
     */
    public PickContext build() {
      if (keyKind == KeyKind.NONE && attributes.isEmpty() && excluded.isEmpty()) {
        return NONE;
      }
      return new PickContext(
          keyKind, objectKey, longKey, Map.copyOf(attributes), Set.copyOf(excluded));
    }
  }
}

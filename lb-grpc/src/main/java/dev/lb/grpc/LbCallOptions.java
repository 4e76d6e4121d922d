package dev.lb.grpc;

import dev.lb.PickContext;
import io.grpc.CallOptions;

/**
 * Per-call options the lb policies read when they pick: the call's {@link PickContext}, whose key
 * is the affinity key of hash-based strategies.
 *
 * <pre>{@code
 * stub.withOption(LbCallOptions.PICK_CONTEXT, PickContext.ofKey(userId)).getProfile(request);
 * }</pre>
 *
 * <p>A pick context set here takes precedence over the policy's {@code hashHeader}. Stateless; the
 * key is an immutable constant.
 */
public final class LbCallOptions {
  /** The call's pick context; absent means the {@code hashHeader}, if configured, or no key. */
  public static final CallOptions.Key<PickContext> PICK_CONTEXT =
      CallOptions.Key.create("dev.lb.pickContext");

  private LbCallOptions() {}
}

package dev.lb.hash;

/** Ring hash: the owner of the key's point on a {@link Ring}, then the next distinct owners. */
final class RingPlacement implements Placement {
  private final Ring ring;

  RingPlacement(Ring ring) {
    this.ring = ring;
  }

  Ring ring() {
    return ring;
  }

  @Override
  public int locate(long keyHash, int attempt) {
    return ring.locate(keyHash, attempt);
  }
}

package dev.lb.breaker;

import java.util.ArrayList;
import java.util.List;

/** Records every transition as "FROM->TO" and counts refused permissions. Thread-safe. */
final class RecordingListener extends CircuitBreakerListener {
  private final List<String> transitions = new ArrayList<>();
  private int notPermitted;

  @Override
  public synchronized void onStateTransition(
      CircuitBreaker breaker, CircuitBreaker.State from, CircuitBreaker.State to) {
    transitions.add(from + "->" + to);
  }

  @Override
  public synchronized void onCallNotPermitted(CircuitBreaker breaker) {
    notPermitted++;
  }

  synchronized List<String> transitions() {
    return List.copyOf(transitions);
  }

  synchronized int notPermitted() {
    return notPermitted;
  }
}

package dev.lb.discovery;

import dev.lb.Endpoint;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every discovery event as a short line, for assertions on order and content. */
final class RecordingListener extends DiscoveryListener {
  final List<String> events = new CopyOnWriteArrayList<>();

  @Override
  public void onUpdated(DiscoveryStatus status, List<Endpoint> endpoints, boolean changed) {
    events.add("updated " + endpoints.size() + (changed ? " changed" : " same"));
  }

  @Override
  public void onFailed(DiscoveryStatus status, Throwable error, List<Endpoint> kept) {
    events.add("failed#" + status.consecutiveFailures() + " kept " + kept.size());
  }

  @Override
  public void onRecovered(DiscoveryStatus status, int failedAttempts) {
    events.add("recovered after " + failedAttempts);
  }
}

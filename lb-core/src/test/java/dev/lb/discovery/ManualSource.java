package dev.lb.discovery;

import dev.lb.Endpoint;
import java.util.List;

/** A source the test drives by hand: {@link #push} and {@link #fail} go straight to the sink. */
final class ManualSource implements EndpointSource {
  private EndpointSink sink;
  boolean closed;

  @Override
  public String name() {
    return "manual";
  }

  @Override
  public void start(EndpointSink sink) {
    this.sink = sink;
  }

  void push(List<Endpoint> endpoints) {
    sink.update(endpoints);
  }

  void fail(Throwable error) {
    sink.fail(error);
  }

  @Override
  public void close() {
    closed = true;
  }
}

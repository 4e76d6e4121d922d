/**
 * Fakes for testing code that uses lb: fake time ({@link dev.lb.testing.FakeTicker}, {@link
 * dev.lb.testing.FakeScheduler}, {@link dev.lb.testing.FakeSleeper}), a scripted health checker
 * ({@link dev.lb.testing.FakeHealthChecker}) and a listener that records every event ({@link
 * dev.lb.testing.RecordingListener}).
 *
 * <pre>{@code
 * FakeTicker ticker = new FakeTicker();
 * FakeScheduler scheduler = new FakeScheduler(ticker);
 * RecordingListener events = new RecordingListener();
 * LoadBalancer lb =
 *     LoadBalancer.builder()
 *         .endpoints(endpoints)
 *         .ticker(ticker)
 *         .scheduler(scheduler)
 *         .listener(events)
 *         .build();
 * scheduler.advance(Duration.ofSeconds(30)); // runs every timer due in those 30 s, at its time
 * assertThat(events.events()).contains("restored e1");
 * }</pre>
 */
@NullMarked
package dev.lb.testing;

import org.jspecify.annotations.NullMarked;

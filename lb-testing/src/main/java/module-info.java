/**
 * lb-testing: fakes for testing code that uses lb, without real time or real servers. {@link
 * dev.lb.testing.FakeTicker} and {@link dev.lb.testing.FakeScheduler} stand in for the balancer's
 * {@link dev.lb.Ticker} and {@link dev.lb.Scheduler}, {@link dev.lb.testing.FakeSleeper} for a rate
 * limiter's {@link dev.lb.limit.Sleeper}, {@link dev.lb.testing.FakeHealthChecker} for an active
 * {@link dev.lb.health.HealthChecker}, and {@link dev.lb.testing.RecordingListener} records every
 * {@link dev.lb.LoadBalancerListener} event. lb's own tests use the same classes.
 */
module dev.lb.testing {
  requires transitive dev.lb.core;

  exports dev.lb.testing;
}

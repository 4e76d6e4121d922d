/**
 * lb-stats-page: an optional HTTP page of balancer statistics (HTML, JSON, Prometheus text) on the
 * JDK's HTTP server. See {@link dev.lb.statspage.StatsPage}.
 */
module dev.lb.statspage {
  requires transitive dev.lb.core;
  requires transitive jdk.httpserver;
  requires static org.jspecify;

  exports dev.lb.statspage;
}

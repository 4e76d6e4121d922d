package dev.lb.okhttp;

import dev.lb.LoadReport;
import java.util.Locale;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the load report a backend attaches to a response in ORCA's HTTP form: the {@code
 * endpoint-load-metrics} header, whose value starts with its format, {@code TEXT}, {@code JSON} or
 * {@code BIN}. The {@code TEXT} form is a comma-separated list of {@code name=value} pairs, as
 * Envoy's ORCA parser reads it: {@code TEXT cpu_utilization=0.3, rps_fractional=10,
 * named_metrics.foo=1}, with the fields {@code cpu_utilization}, {@code mem_utilization}, {@code
 * application_utilization}, {@code rps_fractional}, {@code eps}, and the map entries {@code
 * named_metrics.*}, {@code request_cost.*} and {@code utilization.*}; unknown names are skipped.
 *
 * <p>A header that does not parse (a bad number, a value out of range, a pair without {@code =}) is
 * ignored whole, logged at debug, and never fails the call. {@code JSON} and {@code BIN} (a base64
 * serialized {@code OrcaLoadReport}) are recognized and ignored the same way: lb-okhttp carries no
 * JSON or protobuf library; servers that talk to lb-okhttp send {@code TEXT}. Stateless and
 * thread-safe.
 */
final class OrcaHeader {
  static final String NAME = "endpoint-load-metrics";

  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancingInterceptor.class);

  private OrcaHeader() {}

  /** The report {@code response} carries, or null if it has none that lb-okhttp can read. */
  static @Nullable LoadReport read(Response response) {
    String value = response.header(NAME);
    if (value == null) {
      return null;
    }
    LoadReport report = parse(value);
    if (report == null && LOG.isDebugEnabled()) {
      LOG.debug("ignored {} header '{}' from {}", NAME, value, response.request().url().host());
    }
    return report;
  }

  /** Parses a header value; null if it is not a readable {@code TEXT} report. */
  static @Nullable LoadReport parse(String value) {
    String v = value.trim();
    int space = v.indexOf(' ');
    String format = (space < 0 ? v : v.substring(0, space)).toUpperCase(Locale.ROOT);
    if (!format.equals("TEXT")) {
      return null; // JSON, BIN or unknown: ignored
    }
    String body = space < 0 ? "" : v.substring(space + 1).trim();
    LoadReport.Builder b = LoadReport.builder();
    if (body.isEmpty()) {
      return b.build();
    }
    try {
      for (String pair : body.split(",", -1)) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          return null;
        }
        String name = pair.substring(0, eq).trim();
        double x = Double.parseDouble(pair.substring(eq + 1).trim());
        set(b, name, x);
      }
    } catch (IllegalArgumentException e) { // NumberFormatException too
      return null;
    }
    return b.build();
  }

  private static void set(LoadReport.Builder b, String name, double x) {
    switch (name) {
      case "cpu_utilization" -> b.cpuUtilization(x);
      case "mem_utilization" -> b.memoryUtilization(x);
      case "application_utilization" -> b.applicationUtilization(x);
      case "rps_fractional" -> b.requestsPerSecond(x);
      case "eps" -> b.errorsPerSecond(x);
      default -> {
        if (name.startsWith("named_metrics.")) {
          b.namedMetric(name.substring("named_metrics.".length()), x);
        } else if (name.startsWith("request_cost.")) {
          b.requestCost(name.substring("request_cost.".length()), x);
        } else if (name.startsWith("utilization.")) {
          b.utilization(name.substring("utilization.".length()), x);
        }
        // other names: fields lb does not know (a newer ORCA), skipped
      }
    }
  }
}

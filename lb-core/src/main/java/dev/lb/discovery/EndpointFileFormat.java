package dev.lb.discovery;

import dev.lb.Endpoint;
import java.util.List;

/**
 * The formats a {@link FileEndpointSource} reads. Both are parsed strictly: an unknown key, a
 * missing port, a bad weight or a cut-off document is an error that names the place, and the last
 * good set stays in use.
 *
 * <p><b>JSON</b> ({@code .json}): an object with one key, {@code endpoints}, an array of objects
 * with {@code host} and {@code port} (required) and {@code id}, {@code weight}, {@code zone},
 * {@code priority}, {@code backup}, {@code metadata} (an object of strings), as in {@link
 * Endpoint}. Endpoints keep the file's order.
 *
 * <pre>{@code
 * {"endpoints": [
 *   {"host": "10.0.0.1", "port": 8080},
 *   {"host": "10.0.0.2", "port": 8080, "id": "b", "weight": 2, "zone": "eu-west-1a",
 *    "priority": 0, "backup": false, "metadata": {"version": "v2"}}
 * ]}
 * }</pre>
 *
 * <p><b>Properties</b> ({@code .properties}, read as by {@link java.util.Properties#load}): {@code
 * endpoint.NAME=host:port} (IPv6 as {@code [::1]:8080}) declares an endpoint whose id is NAME (no
 * dots), and {@code endpoint.NAME.weight}, {@code .zone}, {@code .priority}, {@code .backup} and
 * {@code endpoint.NAME.metadata.KEY} set its other fields. Endpoints are sorted by id.
 *
 * <pre>{@code
 * endpoint.a=10.0.0.1:8080
 * endpoint.b=10.0.0.2:8080
 * endpoint.b.weight=2
 * endpoint.b.zone=eu-west-1a
 * endpoint.b.metadata.version=v2
 * }</pre>
 *
 * <p>A JSON document cut short by a writer that has not finished is always invalid, so a partial
 * write is never applied. A properties file cut short may still be valid, so write it to a
 * temporary file and rename it over the old one (atomic on POSIX file systems), as any watched
 * configuration file should be written.
 */
public enum EndpointFileFormat {
  /** The JSON format described above. */
  JSON {
    @Override
    List<Endpoint> parse(String content) {
      return EndpointFiles.parseJson(content);
    }
  },
  /** The properties format described above. */
  PROPERTIES {
    @Override
    List<Endpoint> parse(String content) {
      return EndpointFiles.parseProperties(content);
    }
  };

  /** Parses a whole file; throws {@link IllegalArgumentException} saying what is wrong where. */
  abstract List<Endpoint> parse(String content);
}

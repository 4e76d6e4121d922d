package dev.lb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of lb on the class or module path, as built: {@code LbVersion.current()} returns
 * {@code "0.1.0"} or {@code "0.1.0-SNAPSHOT"}, the same string as the jars' {@code
 * Implementation-Version} manifest entry. Put it in logs and support requests; the adapters of one
 * release share the version of their lb-core.
 *
 * <p>This class is thread-safe; the version is read once, from a resource inside lb-core's jar.
 */
public final class LbVersion {
  private static final String VERSION = read();

  private LbVersion() {}

  /**
   * Returns lb-core's version, for example {@code "0.1.0"}.
   *
   * @return the version this lb-core was built as; never null or empty
   */
  public static String current() {
    return VERSION;
  }

  private static String read() {
    try (InputStream in = LbVersion.class.getResourceAsStream("lb-version.properties")) {
      if (in == null) {
        throw new IllegalStateException(
            "lb-core is missing its resource dev/lb/lb-version.properties: a repackaged jar?");
      }
      Properties properties = new Properties();
      properties.load(in);
      String version = properties.getProperty("version", "");
      if (version.isEmpty() || version.startsWith("$")) {
        throw new IllegalStateException(
            "lb-core's dev/lb/lb-version.properties was not filled in by the build: '"
                + version
                + "'");
      }
      return version;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read lb-core's version", e);
    }
  }
}

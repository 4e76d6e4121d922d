package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two builds of the same sources give the same jars, byte for byte: lb-core is built twice, from
 * two copies of the repository at two different paths and at two different times, and its jar,
 * sources jar and javadoc jar are compared. What makes it hold is {@code
 * project.build.outputTimestamp} in the parent POM; what this catches is anything that leaks the
 * build's time, path or file order into an artifact.
 */
class ReproducibleBuildTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void lbCore_builtTwiceFromDifferentPaths_givesIdenticalJars(
      @TempDir Path first, @TempDir Path second) throws Exception {
    Map<String, String> a = buildLbCore(first.resolve("checkout-one"));
    Map<String, String> b = buildLbCore(second.resolve("a-second-checkout"));

    assertThat(a)
        .containsOnlyKeys(
            "lb-core-" + version() + ".jar",
            "lb-core-" + version() + "-sources.jar",
            "lb-core-" + version() + "-javadoc.jar");
    assertThat(b).isEqualTo(a);
  }

  /** Copies the sources to {@code dir}, packages lb-core there, returns jar name → SHA-256. */
  private static Map<String, String> buildLbCore(Path dir) throws Exception {
    copySources(ROOT, dir);
    Path log = dir.resolve("build.log");
    List<String> command = new ArrayList<>();
    command.add(dir.resolve("mvnw").toString());
    command.addAll(
        List.of(
            "-B",
            "-q",
            "-o",
            "-pl",
            "lb-core",
            "package",
            "-DskipTests",
            "-Djacoco.skip=true",
            "-Dspotless.check.skip=true",
            "-Denforcer.skip=true"));
    Process build =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      assertThat(build.waitFor(5, TimeUnit.MINUTES)).as("the build finished in time").isTrue();
    } finally {
      build.destroyForcibly();
    }
    assertThat(build.exitValue()).as("build in %s:%n%s", dir, Files.readString(log)).isZero();
    Map<String, String> digests = new LinkedHashMap<>();
    try (Stream<Path> jars = Files.list(dir.resolve("lb-core/target"))) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
        digests.put(jar.getFileName().toString(), sha256(jar));
      }
    }
    return digests;
  }

  private static void copySources(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            String name = d.getFileName() == null ? "" : d.getFileName().toString();
            if (!d.equals(from) && (name.equals("target") || name.equals(".git"))) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            Files.createDirectories(to.resolve(from.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Files.copy(
                f, to.resolve(from.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static String version() {
    try {
      String pom = Files.readString(ROOT.resolve("pom.xml"));
      int start = pom.indexOf("<version>") + "<version>".length();
      return pom.substring(start, pom.indexOf("</version>", start));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

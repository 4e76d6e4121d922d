package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code java} block of the README compiles against lb as built, so a renamed method or a
 * changed signature fails the build instead of a reader's first try. Each block becomes the body of
 * one method of a generated class; the few names a snippet takes as given ({@code balancer}, {@code
 * endpoints}, {@code log}, {@code send(...)}) are fields and methods of that class, declared in
 * {@link #SCAFFOLD}. The runnable ones run in their own tests: {@code OkHttpQuickStartTest}, {@code
 * GrpcQuickStartTest}, {@code TestingYourCodeTest}.
 */
class ReadmeSnippetsTest {
  private static final Path README = Path.of("").toAbsolutePath().getParent().resolve("README.md");
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

  /** What the snippets take as given, and the imports a reader would add. */
  private static final String SCAFFOLD =
      """
      import static org.assertj.core.api.Assertions.assertThat;

      import dev.lb.*;
      import dev.lb.LoadBalancer;
      import dev.lb.breaker.*;
      import dev.lb.discovery.*;
      import dev.lb.grpc.*;
      import dev.lb.hash.*;
      import dev.lb.health.*;
      import dev.lb.kubernetes.*;
      import dev.lb.limit.*;
      import dev.lb.micrometer.*;
      import dev.lb.okhttp.*;
      import dev.lb.okhttp.Route;
      import dev.lb.probe.*;
      import dev.lb.retry.*;
      import dev.lb.statspage.*;
      import dev.lb.strategy.*;
      import dev.lb.subset.*;
      import dev.lb.testing.*;
      import dev.lb.zookeeper.*;
      import dev.lb.xds.*;
      import io.fabric8.kubernetes.client.KubernetesClient;
      import io.fabric8.kubernetes.client.KubernetesClientBuilder;
      import io.grpc.Grpc;
      import io.grpc.InsecureChannelCredentials;
      import io.grpc.ManagedChannel;
      import io.micrometer.core.instrument.Tags;
      import io.micrometer.prometheusmetrics.PrometheusConfig;
      import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
      import java.io.*;
      import java.nio.file.*;
      import java.time.*;
      import java.util.*;
      import java.util.concurrent.atomic.*;
      import okhttp3.OkHttpClient;
      import okhttp3.Request;
      import okhttp3.Response;
      import org.apache.curator.framework.*;
      import org.apache.curator.retry.*;

      @SuppressWarnings("unused")
      abstract class Snippets {
        static final class Reply {
          long bodyLength() { return 0; }
        }

        org.slf4j.Logger log;
        List<Endpoint> list, endpoints;
        String cacheKey;
        Object request;
        LoadBalancer balancer, apiBalancer, stableBalancer, canaryBalancer;
        EndpointSource source;
        LongAdder ejections;

        abstract Reply send(Endpoint endpoint, Object request) throws IOException;
      """;

  @Test
  void everyJavaBlock_compilesAgainstLbAsBuilt(@TempDir Path out) throws IOException {
    List<String> blocks = javaBlocks(Files.readString(README));
    assertThat(blocks).as("java blocks in %s", README).hasSizeGreaterThan(10);

    StringBuilder source = new StringBuilder(SCAFFOLD);
    List<Integer> firstLines = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      source.append("\n  void snippet").append(i).append("() throws Exception {\n");
      firstLines.add((int) source.chars().filter(c -> c == '\n').count() + 1);
      source.append(blocks.get(i)).append("\n  }\n");
    }
    source.append("}\n");

    List<String> errors = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : compile(source.toString(), out)) {
      int block = firstLines.size() - 1;
      while (block > 0 && firstLines.get(block) > d.getLineNumber()) {
        block--;
      }
      errors.add(
          "README java block "
              + block
              + " ("
              + blocks.get(block).strip().lines().findFirst().orElse("")
              + "), its line "
              + (d.getLineNumber() - firstLines.get(block) + 1)
              + ": "
              + d.getMessage(Locale.ROOT));
    }

    assertThat(errors).as("compile errors in the README's java blocks").isEmpty();
  }

  private static List<String> javaBlocks(String readme) {
    List<String> blocks = new ArrayList<>();
    Matcher m = JAVA_BLOCK.matcher(readme);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  private static List<Diagnostic<? extends JavaFileObject>> compile(String source, Path out)
      throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    JavaFileObject file =
        new SimpleJavaFileObject(
            URI.create("string:///Snippets.java"), JavaFileObject.Kind.SOURCE) {
          @Override
          public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return source;
          }
        };
    try (StandardJavaFileManager files =
        javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
      Boolean ok =
          javac
              .getTask(
                  null,
                  files,
                  diagnostics,
                  List.of("-proc:none", "-classpath", classPath, "-d", out.toString()),
                  null,
                  List.of(file))
              .call();
      List<Diagnostic<? extends JavaFileObject>> errors = new ArrayList<>();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        if (d.getKind() == Diagnostic.Kind.ERROR) {
          errors.add(d);
        }
      }
      assertThat(ok).as("javac's result matches its errors").isEqualTo(errors.isEmpty());
      return errors;
    }
  }
}

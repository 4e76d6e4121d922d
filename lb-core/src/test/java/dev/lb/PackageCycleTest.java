package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * lb-core's packages form no cycle apart from the root package {@code dev.lb} (the vocabulary every
 * package uses, and the facade that uses them): checked with the JDK's own {@code jdeps} over the
 * compiled classes.
 */
class PackageCycleTest {
  private static final Pattern EDGE =
      Pattern.compile("^\\s*(dev\\.lb[\\w.]*)\\s+->\\s+(dev\\.lb[\\w.]*)\\s", Pattern.MULTILINE);

  @Test
  void noPackageCycle_outsideTheRootPackage() throws Exception {
    Path classes = Path.of("target", "classes");
    assertThat(Files.isDirectory(classes.resolve("dev/lb"))).isTrue();
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int status =
        jdeps.run(
            new PrintWriter(out),
            new PrintWriter(out),
            "-verbose:package",
            "-filter:none",
            "-e",
            "dev\\.lb.*",
            classes.toString());
    assertThat(status).as(out.toString()).isZero();

    Map<String, Set<String>> uses = new TreeMap<>();
    Matcher m = EDGE.matcher(out.toString());
    while (m.find()) {
      String from = m.group(1);
      String to = m.group(2);
      if (!from.equals(to) && !from.equals("dev.lb") && !to.equals("dev.lb")) {
        uses.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
      }
    }
    assertThat(uses).as("jdeps found the package dependencies").isNotEmpty();
    assertThat(uses.get("dev.lb.internal")).as("internal sits at the bottom").isNull();
    List<String> cycles = new ArrayList<>();
    for (String start : uses.keySet()) {
      // Depth-first search for a path from start back to itself.
      Deque<List<String>> paths = new ArrayDeque<>();
      paths.push(List.of(start));
      Set<String> seen = new TreeSet<>();
      while (!paths.isEmpty()) {
        List<String> path = paths.pop();
        String last = path.get(path.size() - 1);
        for (String next : uses.getOrDefault(last, Set.of())) {
          if (next.equals(start)) {
            List<String> cycle = new ArrayList<>(path);
            cycle.add(start);
            cycles.add(String.join(" -> ", cycle));
          } else if (seen.add(next)) {
            List<String> longer = new ArrayList<>(path);
            longer.add(next);
            paths.push(longer);
          }
        }
      }
    }
    assertThat(cycles).as("package cycles outside dev.lb; edges: %s", uses).isEmpty();
  }
}

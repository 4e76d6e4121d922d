package dev.lb.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's Spring Boot snippets are copies of compiled code: each block fenced {@code ```java
 * file=NAME} (or {@code ```properties file=NAME}) must appear, verbatim, in that file of this
 * module. The examples module's ReadmeSnippetsTest compiles the plain {@code ```java} blocks
 * against lb without Spring; these carry a file name instead and are checked here, against the
 * example that this module compiles and runs.
 */
class ReadmeSpringBootSnippetsTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Pattern BLOCK =
      Pattern.compile("```(?:java|properties) file=(\\S+)\\n(.*?)```", Pattern.DOTALL);

  @Test
  void everySpringBootBlock_isVerbatimInTheFileItNames() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    Matcher m = BLOCK.matcher(readme);
    List<String> checked = new ArrayList<>();
    while (m.find()) {
      String file = m.group(1);
      String source = Files.readString(ROOT.resolve(file));
      assertThat(source).as("%s quoted in the README", file).contains(m.group(2));
      checked.add(file);
    }
    assertThat(checked).as("Spring Boot blocks in the README").hasSizeGreaterThanOrEqualTo(2);
  }
}

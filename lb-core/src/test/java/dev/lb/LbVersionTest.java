package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LbVersionTest {
  @Test
  void current_isTheVersionThisModuleWasBuiltAs() throws Exception {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher parentVersion =
        Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
    assertThat(parentVersion.find()).isTrue();

    assertThat(LbVersion.current())
        .isEqualTo(parentVersion.group(1))
        .matches("\\d+\\.\\d+\\.\\d+.*");
  }
}

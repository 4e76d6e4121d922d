package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's OkHttp quick start runs against its local servers and routes as it says. */
class OkHttpQuickStartTest {
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void quickStart_routesApiCallsToApiServersAndPagesToTheWebSplit() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      OkHttpQuickStart.main(new String[0]);
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);

    assertThat(out.lines().filter(l -> l.startsWith("/api/orders -> api-"))).hasSize(3);
    assertThat(out.lines().filter(l -> l.startsWith("/index.html -> web-"))).hasSize(3);
    assertThat(out).contains("0 in flight");
  }
}

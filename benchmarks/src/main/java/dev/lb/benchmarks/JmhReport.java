package dev.lb.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns a JMH JSON result file ({@code -rf json}) into markdown tables and an SVG chart: pick cost
 * per balancer × endpoints × threads with the bytes allocated per call, hash lookups, membership
 * changes and breaker overhead. Reads JSON with a small parser of its own, so the module needs no
 * JSON library.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.JmhReport jmh.json OUT_DIR
 * </pre>
 *
 * <p>Stateless; not meant to be shared.
 */
public final class JmhReport {
  private final List<Row> rows;

  private JmhReport(List<Row> rows) {
    this.rows = rows;
  }

  /**
   * Parses JMH's JSON output.
   *
   * @param json the whole file
   * @return a report over its results
   */
  public static JmhReport parse(String json) {
    List<Row> rows = new ArrayList<>();
    for (Object o : (List<?>) new Json(json).value()) {
      Map<?, ?> run = (Map<?, ?>) o;
      String benchmark = (String) run.get("benchmark");
      Map<?, ?> params = run.get("params") == null ? Map.of() : (Map<?, ?>) run.get("params");
      Map<?, ?> primary = (Map<?, ?>) run.get("primaryMetric");
      Map<?, ?> secondary =
          run.get("secondaryMetrics") == null ? Map.of() : (Map<?, ?>) run.get("secondaryMetrics");
      double alloc = Double.NaN;
      for (Map.Entry<?, ?> e : secondary.entrySet()) {
        if (String.valueOf(e.getKey()).endsWith("gc.alloc.rate.norm")) {
          alloc = num(((Map<?, ?>) e.getValue()).get("score"));
        }
      }
      Map<String, String> p = new LinkedHashMap<>();
      params.forEach((k, v) -> p.put(String.valueOf(k), String.valueOf(v)));
      rows.add(
          new Row(
              benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1),
              p,
              (int) num(run.get("threads")),
              num(primary.get("score")),
              num(primary.get("scoreError")),
              String.valueOf(primary.get("scoreUnit")),
              alloc));
    }
    return new JmhReport(rows);
  }

  /** JMH writes NaN as a string. */
  private static double num(Object value) {
    return value instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(value));
  }

  /**
   * Markdown tables, one per benchmark class present in the results.
   *
   * @return the tables with headings
   */
  public String markdown() {
    StringBuilder md = new StringBuilder();
    pickTable(md, false);
    pickTable(md, true);
    keyedTable(md, "HashBenchmark.lookup", "Hash lookups (ns per lookup, 1 thread)");
    buildTable(md);
    membershipTable(md);
    simpleTable(md, "BreakerBenchmark", "Breaker overhead on the success path");
    return md.toString();
  }

  private void pickTable(StringBuilder md, boolean release) {
    List<Row> pick = pickRows(release);
    if (pick.isEmpty()) {
      return;
    }
    TreeSet<Integer> sizes = new TreeSet<>();
    List<String> types = new ArrayList<>();
    for (Row r : pick) {
      sizes.add(Integer.parseInt(r.params.get("endpoints")));
      if (!types.contains(label(r))) {
        types.add(label(r));
      }
    }
    md.append(
            release
                ? "### Pick + release (ns per call ± JMH's 99.9% error over all forks; B/op ="
                    + " bytes allocated per call)"
                : "### Pick alone, nothing counted (ns per pick ± JMH's 99.9% error over all forks;"
                    + " B/op = bytes allocated per pick)")
        .append("\n\n| balancer |");
    StringBuilder align = new StringBuilder("|---|");
    for (int n : sizes) {
      md.append(" ").append(n).append(" × 1 thr | ").append(n).append(" × 2 thr |");
      align.append("--:|--:|");
    }
    md.append(" B/op |\n").append(align).append("--:|\n");
    for (String type : types) {
      md.append("| ").append(type).append(" |");
      double alloc = Double.NaN;
      for (int n : sizes) {
        for (int threads = 1; threads <= 2; threads++) {
          Row r = find(pick, type, n, threads);
          md.append(r == null ? " – |" : " " + withError(r) + " |");
          if (r != null && threads == 1 && Double.isNaN(alloc)) {
            alloc = r.alloc;
          }
        }
      }
      md.append(Double.isNaN(alloc) ? " – |" : String.format(Locale.ROOT, " %.0f |", alloc))
          .append('\n');
    }
    md.append('\n');
  }

  /** PickBenchmark's rows: pick + release, or the pick alone. */
  private List<Row> pickRows(boolean release) {
    List<Row> list = new ArrayList<>();
    for (Row r : rows) {
      boolean isRelease = r.name.startsWith("PickBenchmark.pickAndRelease");
      boolean isPick =
          r.name.equals("PickBenchmark.pick") || r.name.equals("PickBenchmark.pick2Threads");
      if (release ? isRelease : isPick) {
        list.add(r);
      }
    }
    return list;
  }

  /** A pick row's balancer, marked when its endpoints all had the same weight. */
  private static String label(Row r) {
    String type = r.params.get("type");
    return "equal".equals(r.params.get("weights")) ? type + " (equal weights)" : type;
  }

  private void keyedTable(StringBuilder md, String benchmark, String title) {
    List<Row> list = select(benchmark);
    if (list.isEmpty()) {
      return;
    }
    TreeSet<Integer> sizes = new TreeSet<>();
    List<String> types = new ArrayList<>();
    for (Row r : list) {
      sizes.add(Integer.parseInt(r.params.get("endpoints")));
      if (!types.contains(r.params.get("type"))) {
        types.add(r.params.get("type"));
      }
    }
    md.append("### ").append(title).append("\n\n| lookup |");
    StringBuilder align = new StringBuilder("|---|");
    for (int n : sizes) {
      md.append(" ").append(n).append(" endpoints |");
      align.append("--:|");
    }
    md.append(" B/op |\n").append(align).append("--:|\n");
    for (String type : types) {
      md.append("| ").append(type).append(" |");
      double alloc = Double.NaN;
      for (int n : sizes) {
        Row r = find(list, type, n, 1);
        md.append(r == null ? " – |" : " " + fmt(r.score) + " |");
        if (r != null) {
          alloc = r.alloc;
        }
      }
      md.append(Double.isNaN(alloc) ? " – |" : String.format(Locale.ROOT, " %.0f |", alloc))
          .append('\n');
    }
    md.append('\n');
  }

  private void buildTable(StringBuilder md) {
    List<Row> list = select("HashBuildBenchmark.build");
    if (list.isEmpty()) {
      return;
    }
    TreeSet<Integer> sizes = new TreeSet<>();
    List<String> strategies = new ArrayList<>();
    for (Row r : list) {
      sizes.add(Integer.parseInt(r.params.get("endpoints")));
      if (!strategies.contains(r.params.get("strategy"))) {
        strategies.add(r.params.get("strategy"));
      }
    }
    md.append("### Hash table / ring build (µs per build)\n\n| strategy |");
    StringBuilder align = new StringBuilder("|---|");
    for (int n : sizes) {
      md.append(" ").append(n).append(" endpoints |");
      align.append("--:|");
    }
    md.append('\n').append(align).append('\n');
    for (String s : strategies) {
      md.append("| ").append(s).append(" |");
      for (int n : sizes) {
        Row found = null;
        for (Row r : list) {
          if (s.equals(r.params.get("strategy"))
              && String.valueOf(n).equals(r.params.get("endpoints"))) {
            found = r;
          }
        }
        md.append(found == null ? " – |" : " " + fmt(found.score) + " |");
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private void membershipTable(StringBuilder md) {
    List<Row> list = select("MembershipBenchmark.");
    if (list.isEmpty()) {
      return;
    }
    md.append("### Membership changes at ")
        .append(list.get(0).params.get("endpoints"))
        .append(" endpoints (µs per change)\n\n| strategy | build | replace one | reweight one |\n")
        .append("|---|--:|--:|--:|\n");
    List<String> strategies = new ArrayList<>();
    for (Row r : list) {
      if (!strategies.contains(r.params.get("strategy"))) {
        strategies.add(r.params.get("strategy"));
      }
    }
    for (String s : strategies) {
      md.append("| ").append(s).append(" |");
      for (String method : new String[] {"build", "replaceOne", "reweightOne"}) {
        Row found = null;
        for (Row r : list) {
          if (r.name.endsWith("." + method) && s.equals(r.params.get("strategy"))) {
            found = r;
          }
        }
        md.append(found == null ? " – |" : " " + fmt(found.score) + " |");
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private void simpleTable(StringBuilder md, String prefix, String title) {
    List<Row> list = select(prefix + ".");
    if (list.isEmpty()) {
      return;
    }
    md.append("### ")
        .append(title)
        .append("\n\n| benchmark | threads | score | B/op |\n")
        .append("|---|--:|--:|--:|\n");
    for (Row r : list) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %s %s | %s |%n",
              r.name.substring(prefix.length() + 1),
              r.threads,
              fmt(r.score),
              r.unit,
              Double.isNaN(r.alloc) ? "–" : String.format(Locale.ROOT, "%.0f", r.alloc)));
    }
    md.append('\n');
  }

  /**
   * A bar chart of pick + release cost at one endpoint count, one and two threads, log scale.
   *
   * @param endpoints which endpoint count to plot
   * @return a standalone SVG document, or null if there are no pick results at that size
   */
  public String pickSvg(int endpoints) {
    List<Row> pick = pickRows(true);
    List<String> types = new ArrayList<>();
    for (Row r : pick) {
      if (!types.contains(label(r))
          && String.valueOf(endpoints).equals(r.params.get("endpoints"))) {
        types.add(label(r));
      }
    }
    if (types.isEmpty()) {
      return null;
    }
    int left = 280;
    int width = 600;
    int row = 24;
    int top = 50;
    int height = top + types.size() * row + 40;
    double max = 10;
    for (Row r : pick) {
      max = Math.max(max, r.score + (Double.isNaN(r.error) ? 0 : r.error));
    }
    double decades = Math.ceil(Math.log10(max));
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'>%n"
                + "<rect width='100%%' height='100%%' fill='white'/>%n"
                + "<text x='10' y='22' font-size='15' font-weight='bold'>Pick + release, %d endpoints"
                + " (ns per call, log scale, bars ± 99.9%% error; lower is better)</text>%n"
                + "<rect x='%d' y='30' width='10' height='10' fill='#3182bd'/><text x='%d' y='39'"
                + " font-size='11'>1 thread</text>%n"
                + "<rect x='%d' y='30' width='10' height='10' fill='#fd8d3c'/><text x='%d' y='39'"
                + " font-size='11'>2 threads</text>%n",
            left + width + 70,
            height,
            endpoints,
            left,
            left + 14,
            left + 90,
            left + 104));
    for (int d = 0; d <= decades; d++) {
      double x = left + width * d / decades;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/><text x='%.1f' y='%d'"
                  + " font-size='11'>%s</text>%n",
              x,
              top - 4,
              x,
              height - 30,
              x - 6,
              height - 14,
              fmt(Math.pow(10, d))));
    }
    for (int i = 0; i < types.size(); i++) {
      String type = types.get(i);
      int y = top + i * row;
      String colour = type.startsWith("LB_") ? "#08306b" : "#444";
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='10' y='%d' font-size='12' fill='%s'%s>%s</text>%n",
              y + 14,
              colour,
              type.startsWith("LB_") ? " font-weight='bold'" : "",
              type));
      for (int threads = 1; threads <= 2; threads++) {
        Row r = find(pick, type, endpoints, threads);
        if (r == null) {
          continue;
        }
        double w = width * Math.log10(Math.max(1, r.score)) / decades;
        svg.append(
            String.format(
                Locale.ROOT,
                "<rect x='%d' y='%d' width='%.1f' height='9' fill='%s'><title>%s, %d thread(s):"
                    + " %.1f ns</title></rect>%n",
                left,
                y + 2 + (threads - 1) * 10,
                Math.max(1, w),
                threads == 1 ? "#3182bd" : "#fd8d3c",
                type,
                threads,
                r.score));
        double textX = left + Math.max(1, w) + 3;
        if (!Double.isNaN(r.error) && r.error > 0) {
          // The error bar: score ± error, on the same log scale, clipped at 1 ns.
          double lo = left + width * Math.log10(Math.max(1, r.score - r.error)) / decades;
          double hi = left + width * Math.log10(Math.max(1, r.score + r.error)) / decades;
          int mid = y + 6 + (threads - 1) * 10;
          svg.append(
              String.format(
                  Locale.ROOT,
                  "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#000' stroke-width='1'/>%n",
                  lo,
                  mid,
                  hi,
                  mid));
          textX = Math.max(textX, hi + 3);
        }
        svg.append(
            String.format(
                Locale.ROOT,
                "<text x='%.1f' y='%d' font-size='9'>%s</text>%n",
                textX,
                y + 10 + (threads - 1) * 10,
                withError(r)));
      }
    }
    return svg.append("</svg>\n").toString();
  }

  private List<Row> select(String prefix) {
    List<Row> list = new ArrayList<>();
    for (Row r : rows) {
      if (r.name.startsWith(prefix)) {
        list.add(r);
      }
    }
    return list;
  }

  private static Row find(List<Row> rows, String type, int endpoints, int threads) {
    for (Row r : rows) {
      if (type.equals(label(r))
          && String.valueOf(endpoints).equals(r.params.get("endpoints"))
          && r.threads == threads) {
        return r;
      }
    }
    return null;
  }

  /** The score with its error, when JMH computed one (it needs more than one iteration). */
  private static String withError(Row r) {
    return Double.isNaN(r.error) ? fmt(r.score) : fmt(r.score) + " ± " + fmt(r.error);
  }

  private static String fmt(double v) {
    return v >= 100
        ? String.format(Locale.ROOT, "%.0f", v)
        : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  /**
   * Writes {@code jmh.md} and {@code jmh-pick-<n>.svg} for each endpoint count.
   *
   * @param args one or more JMH JSON files (their results are merged), then the output directory
   * @throws IOException if a file cannot be read or written
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: JmhReport JMH_JSON [MORE_JMH_JSON ...] OUT_DIR");
    }
    List<Row> all = new ArrayList<>();
    for (int i = 0; i < args.length - 1; i++) {
      all.addAll(parse(Files.readString(Path.of(args[i]), StandardCharsets.UTF_8)).rows);
    }
    JmhReport report = new JmhReport(all);
    Path out = Path.of(args[args.length - 1]);
    Files.createDirectories(out);
    String md = report.markdown();
    Files.writeString(out.resolve("jmh.md"), md, StandardCharsets.UTF_8);
    for (int n : new int[] {10, 100, 1000}) {
      String svg = report.pickSvg(n);
      if (svg != null) {
        Files.writeString(out.resolve("jmh-pick-" + n + ".svg"), svg, StandardCharsets.UTF_8);
      }
    }
    System.out.print(md);
  }

  private record Row(
      String name,
      Map<String, String> params,
      int threads,
      double score,
      double error,
      String unit,
      double alloc) {}

  /** Just enough JSON for JMH's result files: objects, arrays, strings, numbers, literals. */
  static final class Json {
    private final String s;
    private int i;

    Json(String s) {
      this.s = s;
    }

    private Object literal(int length, Object value) {
      i += length;
      return value;
    }

    Object value() {
      skip();
      char c = s.charAt(i);
      return switch (c) {
        case '{' -> object();
        case '[' -> array();
        case '"' -> string();
        case 't' -> literal(4, true);
        case 'f' -> literal(5, false);
        case 'n' -> literal(4, null);
        default -> number();
      };
    }

    private Map<String, Object> object() {
      Map<String, Object> map = new LinkedHashMap<>();
      i++;
      skip();
      if (s.charAt(i) == '}') {
        i++;
        return map;
      }
      while (true) {
        skip();
        String key = string();
        skip();
        i++; // ':'
        map.put(key, value());
        skip();
        if (s.charAt(i++) == '}') {
          return map;
        }
      }
    }

    private List<Object> array() {
      List<Object> list = new ArrayList<>();
      i++;
      skip();
      if (s.charAt(i) == ']') {
        i++;
        return list;
      }
      while (true) {
        list.add(value());
        skip();
        if (s.charAt(i++) == ']') {
          return list;
        }
      }
    }

    private String string() {
      StringBuilder sb = new StringBuilder();
      i++;
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') {
          return sb.toString();
        }
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'u' -> {
              sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> sb.append(e);
          }
        } else {
          sb.append(c);
        }
      }
    }

    private Number number() {
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      String text = s.substring(start, i);
      if (text.equals("NaN")) {
        return Double.NaN;
      }
      return Double.parseDouble(text);
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }
  }
}

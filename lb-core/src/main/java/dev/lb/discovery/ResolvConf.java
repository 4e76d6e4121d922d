package dev.lb.discovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The settings of a resolv.conf(5) file a lookup needs: the servers to ask ({@code nameserver}, at
 * most three as in glibc; 127.0.0.1 without one) and the two settings that decide which names are
 * tried, the search list ({@code search}, or the older {@code domain}; the last of the two wins, as
 * in glibc) and {@code options ndots:N} (default 1, at most 15). Kubernetes writes both into every
 * pod ({@code search default.svc.cluster.local svc.cluster.local cluster.local}, {@code ndots:5}),
 * which is what makes the short names {@code users} and {@code users.default} resolve.
 */
final class ResolvConf {
  static final Path SYSTEM = Path.of("/etc/resolv.conf");
  static final int DEFAULT_NDOTS = 1;
  static final int MAX_NDOTS = 15;
  static final int MAX_NAMESERVERS = 3;
  static final List<String> DEFAULT_NAMESERVERS = List.of("127.0.0.1:53");

  final List<String> search;
  final int ndots;
  final List<String> nameservers;

  ResolvConf(List<String> search, int ndots) {
    this(search, ndots, DEFAULT_NAMESERVERS);
  }

  ResolvConf(List<String> search, int ndots, List<String> nameservers) {
    this.search = List.copyOf(search);
    this.ndots = ndots;
    this.nameservers = nameservers.isEmpty() ? DEFAULT_NAMESERVERS : List.copyOf(nameservers);
  }

  /** Reads {@code file}; a missing or unreadable file is no search list and ndots 1. */
  static ResolvConf read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException | SecurityException e) {
      return new ResolvConf(List.of(), DEFAULT_NDOTS);
    }
  }

  static ResolvConf parse(String content) {
    List<String> search = List.of();
    int ndots = DEFAULT_NDOTS;
    List<String> nameservers = new ArrayList<>();
    for (String raw : content.split("\n", -1)) {
      String line = raw.strip();
      int comment = indexOfComment(line);
      if (comment >= 0) {
        line = line.substring(0, comment).strip();
      }
      String[] words = line.split("\\s+", -1);
      if (words.length < 2) {
        continue;
      }
      switch (words[0]) {
        case "search", "domain" -> {
          List<String> domains = new ArrayList<>();
          for (int i = 1; i < words.length; i++) {
            String d = DnsNames.normalizeDomain(words[i]);
            if (d != null) {
              domains.add(d);
            }
          }
          search = domains;
        }
        case "options" -> {
          for (int i = 1; i < words.length; i++) {
            if (words[i].startsWith("ndots:")) {
              try {
                ndots = Math.min(MAX_NDOTS, Math.max(0, Integer.parseInt(words[i].substring(6))));
              } catch (NumberFormatException e) {
                // glibc ignores a malformed option; so do we
              }
            }
          }
        }
        case "nameserver" -> {
          String server = words[1];
          int zone = server.indexOf('%');
          if (zone >= 0) {
            server = server.substring(0, zone);
          }
          if (nameservers.size() < MAX_NAMESERVERS && isIpLiteral(server)) {
            nameservers.add((server.indexOf(':') >= 0 ? "[" + server + "]" : server) + ":53");
          }
        }
        default -> {
          // sortlist and the rest do not change which names are tried or asked
        }
      }
    }
    return new ResolvConf(search, ndots, nameservers);
  }

  /** An IPv4 or IPv6 literal (a nameserver line holds nothing else; a zone index is dropped). */
  private static boolean isIpLiteral(String s) {
    return s.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || s.matches("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
  }

  private static int indexOfComment(String line) {
    int hash = line.indexOf('#');
    int semicolon = line.indexOf(';');
    if (hash < 0) {
      return semicolon;
    }
    return semicolon < 0 ? hash : Math.min(hash, semicolon);
  }

  /** Name helpers shared by the parser and the builder. */
  static final class DnsNames {
    private DnsNames() {}

    /** A search domain without its dots at the ends, lower case; null for "." or blank. */
    static @Nullable String normalizeDomain(String domain) {
      String d = domain.strip().toLowerCase(Locale.ROOT);
      while (d.startsWith(".")) {
        d = d.substring(1);
      }
      while (d.endsWith(".")) {
        d = d.substring(0, d.length() - 1);
      }
      return d.isEmpty() ? null : d;
    }

    /**
     * The names to try for {@code name}, in order, as glibc's resolver tries them: an absolute name
     * (given with a trailing dot) only as it is; a name with at least {@code ndots} dots as it is
     * first, then with each search domain; a shorter one with each search domain first, then as it
     * is.
     */
    static List<String> candidates(String name, boolean absolute, List<String> search, int ndots) {
      if (absolute || search.isEmpty()) {
        return List.of(name);
      }
      long dots = name.chars().filter(c -> c == '.').count();
      List<String> names = new ArrayList<>(search.size() + 1);
      if (dots >= ndots) {
        names.add(name);
      }
      for (String domain : search) {
        names.add(name + "." + domain);
      }
      if (dots < ndots) {
        names.add(name);
      }
      return names;
    }
  }
}

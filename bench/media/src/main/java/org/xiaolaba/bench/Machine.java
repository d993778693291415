package org.xiaolaba.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What the figures were measured on: they mean little without it. */
final class Machine {
  private Machine() {}

  static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  static String cpuModel() {
    return linesOf("/proc/cpuinfo").stream()
        .filter(l -> l.startsWith("model name"))
        .map(l -> l.substring(l.indexOf(':') + 1).trim())
        .findFirst()
        .orElse("unknown");
  }

  static String memory() {
    return linesOf("/proc/meminfo").stream()
        .filter(l -> l.startsWith("MemTotal:"))
        .map(l -> l.replaceAll("\\D+", ""))
        .map(kb -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(kb) / 1024.0 / 1024.0))
        .findFirst()
        .orElse("unknown");
  }

  /** The 1, 5 and 15 minute load averages. */
  static String load() {
    List<String> l = linesOf("/proc/loadavg");
    if (l.isEmpty()) return "unknown";
    String[] parts = l.get(0).split(" ");
    return parts[0] + " " + parts[1] + " " + parts[2];
  }

  static double load1() {
    try {
      return Double.parseDouble(load().split(" ")[0]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * CPU seconds (user and system) used so far by this process's finished children: every ffmpeg the
   * benchmark or the library ran, once it has been waited for. Fields 16 and 17 of {@code
   * /proc/self/stat}, in clock ticks (100 a second on Linux).
   */
  static double childCpuSeconds() {
    List<String> l = linesOf("/proc/self/stat");
    if (l.isEmpty()) return 0;
    String stat = l.get(0);
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // f[0] is field 3 (state): field n is f[n - 3]
    return (Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0;
  }

  private static List<String> linesOf(String file) {
    try {
      return Files.readAllLines(Path.of(file));
    } catch (IOException e) {
      return List.of();
    }
  }
}

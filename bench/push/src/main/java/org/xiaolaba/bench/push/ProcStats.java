package org.xiaolaba.bench.push;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What the kernel and the JVM say about a process: CPU time, RSS, open files, heap after GC. */
final class ProcStats {
  /** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
  private static final double TICKS_PER_SECOND = 100.0;

  /**
   * A heap line of {@code GC.heap_info}: G1's one ("garbage-first heap total ..., used ...K"), or a
   * generation's of the Parallel and Serial collectors (PSYoungGen and ParOldGen, def new and
   * tenured), summed.
   */
  private static final Pattern HEAP_USED =
      Pattern.compile(
          "(?m)^\\s*(garbage-first heap|PSYoungGen|ParOldGen|def new generation|tenured"
              + " generation)\\s+total \\d+K, used (\\d+)K");

  private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");

  private ProcStats() {}

  /** User plus system CPU seconds the process has used so far. */
  static double cpuSeconds(long pid) {
    double[] t = cpuUserSystem(pid);
    return t[0] + t[1];
  }

  /** User and system (kernel) CPU seconds the process has used so far, in that order. */
  static double[] cpuUserSystem(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return new double[] {
      Long.parseLong(f[11]) / TICKS_PER_SECOND, Long.parseLong(f[12]) / TICKS_PER_SECOND
    };
  }

  /** Resident set size in KiB (VmRSS). */
  static long rssKib(long pid) {
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
    }
    throw new IllegalStateException("no VmRSS for process " + pid);
  }

  static long openFiles(long pid) {
    try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return s.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Runs a full GC in the process, then returns the heap in use, in KiB. */
  static long heapUsedAfterGcKib(long pid) {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    long used = 0;
    boolean found = false;
    while (m.find()) {
      used += Long.parseLong(m.group(2));
      found = true;
    }
    if (!found) throw new IllegalStateException("cannot read GC.heap_info: " + info);
    return used;
  }

  /** The first {@code rows} classes of a live-objects histogram (what jmap -histo:live shows). */
  static String histogram(long pid, int rows) {
    List<String> lines = jcmd(pid, "GC.class_histogram").lines().toList();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines.size() && i < rows + 3; i++) sb.append(lines.get(i)).append('\n');
    lines.stream()
        .filter(l -> l.startsWith("Total"))
        .findFirst()
        .ifPresent(l -> sb.append(l).append('\n'));
    return sb.toString();
  }

  static String jcmd(long pid, String command) {
    try {
      Process p =
          new ProcessBuilder(JCMD.toString(), Long.toString(pid), command)
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("jcmd " + command + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static String read(Path p) {
    try {
      // Not Files.readString: /proc files report size 0, and it then reads too little.
      try (var in = Files.newInputStream(p)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }
}

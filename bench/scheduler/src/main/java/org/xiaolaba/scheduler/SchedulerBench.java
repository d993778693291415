package org.xiaolaba.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Issue 4's scheduler benchmarks, printed as Markdown: (a) a fresh node's start with 100,000
 * programs in Redis, target at most 5 s; (b) scheduled instant to dispatch latency from the as-run
 * log on one and two nodes, target p99 at most 50 ms. Run with {@code bench/scheduler/run.sh}.
 *
 * <pre>
 *   --programs N   programs stored for the start-up benchmark (100000)
 *   --starts K     fresh starts timed, one after the other (3)
 *   --runs R       runs fired in the latency benchmark (2000)
 *   --windows LIST seconds the runs are spread over, one scenario each (20,2: 100 and 1,000 a second)
 *   --margin S     seconds allowed for creating the programs before the first run (15)
 *   --nodes LIST   node counts for the latency benchmark (1,2)
 *   --fsync P      the embedded Redis' appendfsync: always (the server's default), everysec, no
 *   --only startup|latency
 * </pre>
 */
public final class SchedulerBench {
  private SchedulerBench() {}

  public static void main(String[] args) throws Exception {
    int programs = 100_000;
    int starts = 3;
    int runs = 2_000;
    List<Integer> windows = List.of(20, 2);
    int margin = 15;
    List<Integer> nodeCounts = List.of(1, 2);
    String fsync = "always";
    String only = "";
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--programs" -> programs = Integer.parseInt(v);
        case "--starts" -> starts = Integer.parseInt(v);
        case "--runs" -> runs = Integer.parseInt(v);
        case "--windows" -> windows = Stream.of(v.split(",")).map(Integer::parseInt).toList();
        case "--margin" -> margin = Integer.parseInt(v);
        case "--nodes" -> nodeCounts = Stream.of(v.split(",")).map(Integer::parseInt).toList();
        case "--fsync" -> fsync = v;
        case "--only" -> only = v;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
      i++;
    }
    Path work = Files.createTempDirectory("xiaolaba-bench-scheduler");
    List<String> report = new ArrayList<>();
    report.add("Machine: " + Machine.describe());
    report.add("Load average before: " + Machine.loadAverage());
    report.add("Redis: embedded redis-server, appendfsync " + fsync);
    try (BenchSetup setup = new BenchSetup(work, fsync, 20, 150)) {
      if (!only.equals("latency")) {
        StartupBench.Result r = new StartupBench(setup).run(programs, starts);
        report.add("");
        report.add(
            String.format(
                Locale.ROOT,
                "### Start-up with %,d programs (seeded in %.1f s)",
                r.programs(),
                r.seedSeconds()));
        report.add("");
        report.add("| start | seconds | JVM CPU seconds | programs armed | runs dispatched |");
        report.add("|---|---|---|---|---|");
        for (int i = 0; i < r.starts().size(); i++) {
          StartupBench.Start s = r.starts().get(i);
          report.add(
              String.format(
                  Locale.ROOT,
                  "| %d%s | %.2f | %.2f | %,d | %d |",
                  i + 1,
                  i == 0 ? " (cold JVM)" : "",
                  s.seconds(),
                  s.cpuSeconds(),
                  s.armed(),
                  s.dispatched()));
        }
        System.out.println(String.join("\n", report));
        report.clear();
      }
      if (!only.equals("startup")) {
        LatencyBench bench = new LatencyBench(setup);
        for (int window : windows) {
          report.add("");
          report.add(
              String.format(
                  Locale.ROOT,
                  "### Scheduled instant to dispatch: %,d runs over %d s (%,d a second), lead time"
                      + " %d s",
                  runs,
                  window,
                  runs / window,
                  LatencyBench.LEAD.toSeconds()));
          report.add("");
          report.add(
              "| nodes | p50 ms | p90 ms | p99 ms | max ms | late | missing | duplicates |"
                  + " created in s |");
          report.add("|---|---|---|---|---|---|---|---|---|");
          for (int nodes : nodeCounts) {
            LatencyBench.Result r =
                bench.run(nodes, runs, Duration.ofSeconds(window), Duration.ofSeconds(margin));
            report.add(
                String.format(
                    Locale.ROOT,
                    "| %d | %.1f | %.1f | %.1f | %.1f | %d | %d | %d | %.1f |",
                    nodes,
                    r.percentile(50) / 1000.0,
                    r.percentile(90) / 1000.0,
                    r.percentile(99) / 1000.0,
                    r.percentile(100) / 1000.0,
                    r.late(),
                    r.missing(),
                    r.duplicates(),
                    r.createSeconds()));
          }
        }
      }
    } finally {
      report.add("");
      report.add("Load average after: " + Machine.loadAverage());
      System.out.println(String.join("\n", report));
      deleteTree(work);
    }
    System.exit(0);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /** What the figures were measured on. */
  static final class Machine {
    private Machine() {}

    static String describe() {
      String cpu = "unknown CPU";
      try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
        cpu =
            lines
                .filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .findFirst()
                .orElse(cpu);
      } catch (IOException e) {
        // not Linux: leave it unknown
      }
      long ramGiB = 0;
      try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
        ramGiB =
            lines
                .filter(l -> l.startsWith("MemTotal"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024)
                .findFirst()
                .orElse(0L);
      } catch (IOException e) {
        // not Linux
      }
      return String.format(
          Locale.ROOT,
          "%d cores (nproc), %s, %d GiB RAM, Java %s, max heap %d MiB",
          Runtime.getRuntime().availableProcessors(),
          cpu,
          ramGiB,
          System.getProperty("java.version"),
          Runtime.getRuntime().maxMemory() / 1024 / 1024);
    }

    static String loadAverage() {
      try {
        return Files.readString(Path.of("/proc/loadavg")).trim();
      } catch (IOException e) {
        return "unknown";
      }
    }
  }
}

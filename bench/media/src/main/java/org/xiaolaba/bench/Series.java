package org.xiaolaba.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One thing measured one or more times: the wall time of each run and the CPU time its ffmpeg
 * processes used (on a 2-core machine, CPU above wall means both cores worked).
 */
final class Series {
  /** A run to measure; answers its wall time in seconds. */
  interface Run {
    double seconds() throws Exception;
  }

  final String name;
  private final List<Double> wall = new ArrayList<>();
  private final List<Double> cpu = new ArrayList<>();

  Series(String name) {
    this.name = name;
  }

  void measure(Run run) throws Exception {
    double cpuBefore = Machine.childCpuSeconds();
    double seconds = run.seconds();
    wall.add(seconds);
    cpu.add(Machine.childCpuSeconds() - cpuBefore);
  }

  void add(double wallSeconds, double cpuSeconds) {
    wall.add(wallSeconds);
    cpu.add(cpuSeconds);
  }

  double wall() {
    return median(wall);
  }

  double cpu() {
    return median(cpu);
  }

  String walls() {
    List<String> each = new ArrayList<>();
    for (double w : wall) each.add(String.format(Locale.ROOT, "%.2f", w));
    return String.join(", ", each);
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}

package org.xiaolaba.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A rule's runs over a stretch of time, bounded: a rule that fires every second would otherwise
 * enumerate a million runs over two weeks.
 */
final class RunWindows {
  private RunWindows() {}

  /** Runs enumerated per program per check at most; a check stops there (and says so). */
  static final int MAX_RUNS = 20_000;

  /** One run's play window {@code [start, end)}. */
  record Window(Instant start, Instant end) {
    static Window of(Instant start, Duration length) {
      Duration d = length.isZero() || length.isNegative() ? Duration.ofMillis(1) : length;
      return new Window(start, start.plus(d));
    }

    boolean overlaps(Window o) {
      return start.isBefore(o.end) && o.start.isBefore(end);
    }
  }

  /**
   * Runs starting after {@code fromExclusive} and before {@code toExclusive}, at most {@code cap}.
   */
  static List<Instant> between(
      ProgramRule rule, Instant fromExclusive, Instant toExclusive, int cap) {
    List<Instant> out = new ArrayList<>();
    Instant cursor = fromExclusive;
    while (out.size() < cap) {
      Optional<Instant> next = rule.nextAfter(cursor);
      if (next.isEmpty() || !next.get().isBefore(toExclusive)) break;
      out.add(next.get());
      cursor = next.get();
    }
    return out;
  }

  /** Play windows of the runs starting in {@code [from, to)}, at most {@link #MAX_RUNS}. */
  static List<Window> windows(ProgramRule rule, Duration length, Instant from, Instant to) {
    List<Window> out = new ArrayList<>();
    for (Instant start : between(rule, from.minusNanos(1), to, MAX_RUNS)) {
      out.add(Window.of(start, length));
    }
    return out;
  }
}

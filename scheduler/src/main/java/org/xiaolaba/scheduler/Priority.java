package org.xiaolaba.scheduler;

import java.util.Locale;
import java.util.Optional;

/** How much a program matters: at play time a higher priority preempts a lower one. */
public enum Priority {
  NORMAL,
  HIGH,
  EMERGENCY;

  /** The name used in JSON and on the wire: {@code normal}, {@code high}, {@code emergency}. */
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * True when a run of this priority takes over from a run of {@code other}: a higher priority
   * does, and a new emergency takes over from an earlier one.
   */
  boolean preempts(Priority other) {
    return compareTo(other) > 0 || (this == EMERGENCY && other == EMERGENCY);
  }

  /** Parses {@code normal|high|emergency} (any case); empty for anything else. */
  public static Optional<Priority> parse(String text) {
    if (text == null) return Optional.empty();
    for (Priority p : values()) {
      if (p.json().equals(text.trim().toLowerCase(Locale.ROOT))) return Optional.of(p);
    }
    return Optional.empty();
  }
}

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

  /** Parses {@code normal|high|emergency} (any case); empty for anything else. */
  public static Optional<Priority> parse(String text) {
    if (text == null) return Optional.empty();
    for (Priority p : values()) {
      if (p.json().equals(text.trim().toLowerCase(Locale.ROOT))) return Optional.of(p);
    }
    return Optional.empty();
  }
}

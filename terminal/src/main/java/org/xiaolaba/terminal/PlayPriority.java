package org.xiaolaba.terminal;

import java.util.Locale;

/** How urgent a play is; a due play takes over from one of the same or a lower priority. */
public enum PlayPriority {
  NORMAL,
  HIGH,
  EMERGENCY;

  /** The priority named in a {@code play} frame; an unknown name is treated as normal. */
  static PlayPriority parse(String name) {
    if (name == null) return NORMAL;
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return NORMAL;
    }
  }

  String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package org.xiaolaba.server.push;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A position in a channel's history: the Redis Stream entry id, {@code <millis>-<sequence>}. */
record StreamOffset(long millis, long sequence) implements Comparable<StreamOffset> {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,19})-(\\d{1,19})");

  static StreamOffset parse(String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "an offset looks like 1732690000000-0, not '" + text + "'");
    }
    return new StreamOffset(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
  }

  @Override
  public int compareTo(StreamOffset o) {
    int c = Long.compare(millis, o.millis);
    return c != 0 ? c : Long.compare(sequence, o.sequence);
  }

  @Override
  public String toString() {
    return millis + "-" + sequence;
  }
}

package org.xiaolaba.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, written in config as {@code 200MiB}, {@code 64KiB}, {@code 1GiB} or plain bytes.
 */
public record ByteSize(long bytes) {
  static final String ALLOWED = "expected a size such as 512KiB, 200MiB or 1GiB";
  private static final Pattern FORMAT =
      Pattern.compile("(\\d+)\\s*(B|KIB|KB|K|MIB|MB|M|GIB|GB|G)?", Pattern.CASE_INSENSITIVE);

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("size must not be negative: " + bytes);
    }
  }

  public static ByteSize ofMebibytes(long mib) {
    return new ByteSize(mib * 1024 * 1024);
  }

  @JsonCreator
  public static ByteSize parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(ALLOWED + ", got '" + text + "'");
    }
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    long factor =
        switch (unit.charAt(0)) {
          case 'K' -> 1024L;
          case 'M' -> 1024L * 1024;
          case 'G' -> 1024L * 1024 * 1024;
          default -> 1L;
        };
    try {
      return new ByteSize(Math.multiplyExact(Long.parseLong(m.group(1)), factor));
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException(ALLOWED + ", got '" + text + "', which is too large");
    }
  }

  public int intBytes() {
    return Math.toIntExact(bytes);
  }

  @JsonValue
  @Override
  public String toString() {
    if (bytes % (1024L * 1024 * 1024) == 0 && bytes > 0)
      return bytes / (1024L * 1024 * 1024) + "GiB";
    if (bytes % (1024L * 1024) == 0 && bytes > 0) return bytes / (1024L * 1024) + "MiB";
    if (bytes % 1024 == 0 && bytes > 0) return bytes / 1024 + "KiB";
    return bytes + "B";
  }
}

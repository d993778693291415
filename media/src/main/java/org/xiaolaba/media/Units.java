package org.xiaolaba.media;

import java.time.Duration;
import java.util.Locale;

/** How durations, sizes and loudness read in clip errors and logs. */
final class Units {
  private Units() {}

  /** Whole hours or minutes as such ("2 h", "10 min"), else hours and minutes, else seconds. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0) return ms / 3_600_000 + " h";
    if (ms % 60_000 == 0) return ms / 60_000 + " min";
    if (ms >= 3_600_000) {
      return String.format(Locale.ROOT, "%d h %02d min", ms / 3_600_000, ms % 3_600_000 / 60_000);
    }
    return seconds(ms / 1000.0);
  }

  static String seconds(double s) {
    return String.format(Locale.ROOT, "%.1f s", s);
  }

  static String bytes(long bytes) {
    if (bytes >= 1L << 30) return oneDecimal(bytes / (double) (1L << 30), "GiB");
    if (bytes >= 1L << 20) return oneDecimal(bytes / (double) (1L << 20), "MiB");
    if (bytes >= 1L << 10) return oneDecimal(bytes / (double) (1L << 10), "KiB");
    return bytes + " bytes";
  }

  static String lufs(double value) {
    return Double.isInfinite(value) ? "-inf LUFS" : oneDecimal(value, "LUFS");
  }

  /** A measurement as stored on a clip: one decimal, and null where ffmpeg measured -inf. */
  static Double round1(double v) {
    return Double.isFinite(v) ? Math.round(v * 10) / 10.0 : null;
  }

  private static String oneDecimal(double value, String unit) {
    return String.format(Locale.ROOT, "%.1f %s", value, unit);
  }
}

package org.xiaolaba.bench.push;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/** HdrHistograms (microseconds) sent between processes as base64 text, and their figures. */
final class Histograms {
  private Histograms() {}

  static String encode(Histogram h) {
    ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int n = h.encodeIntoCompressedByteBuffer(buf);
    byte[] bytes = new byte[n];
    buf.flip();
    buf.get(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }

  static Histogram decode(String base64) {
    try {
      return Histogram.decodeFromCompressedByteBuffer(
          ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
    } catch (DataFormatException e) {
      throw new IllegalStateException("unreadable histogram from a worker", e);
    }
  }

  /** "p50 / p90 / p99 / max" in milliseconds, one decimal. */
  static String millis(Histogram h) {
    if (h.getTotalCount() == 0) return "n/a";
    return String.format(
        "%s / %s / %s / %s",
        ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(99)),
        ms(h.getMaxValue()));
  }

  static String ms(long micros) {
    return String.format("%.1f", micros / 1000.0);
  }
}

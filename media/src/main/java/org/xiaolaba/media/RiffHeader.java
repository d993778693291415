package org.xiaolaba.media;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The size a WAV file's {@code data} chunk declares. ffmpeg quietly caps a size larger than the
 * file, so a truncated WAV (or one whose header lies about gigabytes of audio) would pass as a
 * shorter clip; comparing the declared size with the bytes present tells them apart.
 */
final class RiffHeader {
  /** Sizes writers use when they do not know the length yet (streamed WAV): not a claim. */
  private static final long UNKNOWN = 0xFFFF_FFFFL;

  private static final int SCAN_BYTES = 256 * 1024;

  private RiffHeader() {}

  /** Declared and present bytes of audio data. */
  record DataChunk(long declared, long present) {
    boolean truncated() {
      return declared != 0 && declared != UNKNOWN && declared > present + present / 100 + 4096;
    }
  }

  static Optional<DataChunk> dataChunk(Path file) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(SCAN_BYTES);
    }
    if (head.length < 12 || !ascii(head, 0).equals("RIFF") || !ascii(head, 8).equals("WAVE")) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    long offset = 12;
    while (offset + 8 <= head.length) {
      String id = ascii(head, (int) offset);
      long size = Integer.toUnsignedLong(b.getInt((int) offset + 4));
      if (id.equals("data")) {
        long present = Math.max(0, Files.size(file) - (offset + 8));
        return Optional.of(new DataChunk(size, present));
      }
      offset += 8 + size + (size & 1);
    }
    return Optional.empty();
  }

  private static String ascii(byte[] bytes, int at) {
    return new String(bytes, at, 4, StandardCharsets.US_ASCII);
  }
}

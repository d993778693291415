package org.xiaolaba.terminal;

import java.io.IOException;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.LineUnavailableException;
import javax.sound.sampled.SourceDataLine;

/**
 * Where decoded PCM (signed 16-bit little-endian, mono, {@value #SAMPLE_RATE} Hz) goes. One output
 * per playback; written by its playback thread only.
 */
interface PcmOutput extends AutoCloseable {
  int SAMPLE_RATE = 44_100;
  int BYTES_PER_SECOND = SAMPLE_RATE * 2;

  void write(byte[] buf, int len) throws IOException;

  /** Lets what was written finish playing. */
  void drain();

  /** Drops what is still buffered and releases the output. */
  @Override
  void close();

  /** Whether the decoder must pace itself to real time (an output that does not block). */
  boolean needsPacing();

  /** Opens one output per playback. */
  @FunctionalInterface
  interface Factory {
    PcmOutput open() throws IOException;
  }

  /** Reads and drops the samples: the terminal without a sound card (and the tests). */
  static Factory discard() {
    return () ->
        new PcmOutput() {
          @Override
          public void write(byte[] buf, int len) {}

          @Override
          public void drain() {}

          @Override
          public void close() {}

          @Override
          public boolean needsPacing() {
            return true;
          }
        };
  }

  /** The default sound device through javax.sound; writes block, which paces the decoder. */
  static Factory audioDevice() {
    return () -> {
      AudioFormat format = new AudioFormat(SAMPLE_RATE, 16, 1, true, false);
      try {
        SourceDataLine line = AudioSystem.getSourceDataLine(format);
        line.open(format, BYTES_PER_SECOND / 4);
        line.start();
        return new PcmOutput() {
          @Override
          public void write(byte[] buf, int len) {
            line.write(buf, 0, len);
          }

          @Override
          public void drain() {
            line.drain();
          }

          @Override
          public void close() {
            line.stop();
            line.flush();
            line.close();
          }

          @Override
          public boolean needsPacing() {
            return false;
          }
        };
      } catch (LineUnavailableException | IllegalArgumentException e) {
        throw new IOException("no audio device can play " + format + ": " + e.getMessage(), e);
      }
    };
  }
}

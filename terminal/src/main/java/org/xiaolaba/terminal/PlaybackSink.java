package org.xiaolaba.terminal;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/** Where a terminal's audio goes: decoded in real time into an output (a device, or nowhere). */
public interface PlaybackSink {

  /**
   * Starts playing {@code source} (a local file or a URL) from {@code position}, at {@code volume}
   * percent. Returns at once; the audio plays in the background.
   */
  Playback start(String source, Duration position, int volume) throws IOException;

  /** One audio playing. */
  interface Playback {
    /** Completes, by the terminal's clock, when the first decoded samples reach the output. */
    CompletableFuture<Instant> firstSound();

    /**
     * Completes when the audio has played to its end or was stopped; exceptionally when it could
     * not be decoded.
     */
    CompletableFuture<Void> finished();

    /** Bytes of PCM decoded so far. */
    long bytesDecoded();

    /** Stops at once; {@link #finished()} then completes normally. */
    void stop();
  }
}

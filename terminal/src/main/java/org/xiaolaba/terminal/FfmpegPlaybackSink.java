package org.xiaolaba.terminal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays audio by decoding it with ffmpeg (the same binary the server uses) into PCM on a pipe, read
 * by one thread per playback and handed to a {@link PcmOutput}. Without a device ffmpeg paces
 * itself to real time ({@code -re}), so a 90 s program takes 90 s of real decoding either way.
 */
public final class FfmpegPlaybackSink implements PlaybackSink {
  private static final Logger log = LoggerFactory.getLogger(FfmpegPlaybackSink.class);

  private final Path ffmpeg;
  private final Clock clock;
  private final PcmOutput.Factory outputs;
  private final Path logDir;

  public FfmpegPlaybackSink(Path ffmpeg, Clock clock, PcmOutput.Factory outputs, Path logDir) {
    this.ffmpeg = ffmpeg;
    this.clock = clock;
    this.outputs = outputs;
    this.logDir = logDir;
  }

  /** Decodes and drops the samples. */
  public static FfmpegPlaybackSink discarding(Path ffmpeg, Clock clock, Path logDir) {
    return new FfmpegPlaybackSink(ffmpeg, clock, PcmOutput.discard(), logDir);
  }

  /** Decodes to the default sound device. */
  public static FfmpegPlaybackSink toAudioDevice(Path ffmpeg, Clock clock, Path logDir) {
    return new FfmpegPlaybackSink(ffmpeg, clock, PcmOutput.audioDevice(), logDir);
  }

  @Override
  public Playback start(String source, Duration position, int volume) throws IOException {
    PcmOutput out = outputs.open();
    Files.createDirectories(logDir);
    Path stderr = Files.createTempFile(logDir, "decoder", ".log");
    Process process;
    try {
      process =
          new ProcessBuilder(command(source, position, volume, out.needsPacing()))
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .redirectError(stderr.toFile())
              .start();
      process.getOutputStream().close();
    } catch (IOException e) {
      out.close();
      Files.deleteIfExists(stderr);
      throw e;
    }
    FfmpegPlayback p = new FfmpegPlayback(process, out, stderr);
    Thread t = new Thread(p::pump, "playback");
    t.setDaemon(true);
    t.start();
    return p;
  }

  List<String> command(String source, Duration position, int volume, boolean paced) {
    List<String> cmd = new ArrayList<>(List.of(ffmpeg.toString(), "-hide_banner", "-nostdin"));
    cmd.addAll(List.of("-loglevel", "error"));
    if (paced) cmd.add("-re");
    if (!position.isZero()) {
      cmd.addAll(List.of("-ss", String.format(Locale.ROOT, "%.3f", position.toMillis() / 1000.0)));
    }
    cmd.addAll(
        List.of("-i", source, "-vn", "-ac", "1", "-ar", Integer.toString(PcmOutput.SAMPLE_RATE)));
    cmd.addAll(List.of("-af", String.format(Locale.ROOT, "volume=%.2f", volume / 100.0)));
    // Flush every packet, so the first samples leave ffmpeg at once rather than after 32 KiB.
    cmd.addAll(List.of("-flush_packets", "1", "-f", "s16le", "pipe:1"));
    return cmd;
  }

  private final class FfmpegPlayback implements Playback {
    private final Process process;
    private final PcmOutput out;
    private final Path stderr;
    private final CompletableFuture<Instant> firstSound = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final AtomicLong decoded = new AtomicLong();
    private volatile boolean stopped;

    FfmpegPlayback(Process process, PcmOutput out, Path stderr) {
      this.process = process;
      this.out = out;
      this.stderr = stderr;
    }

    void pump() {
      try (InputStream pcm = process.getInputStream()) {
        byte[] buf = new byte[4096];
        int n;
        while ((n = pcm.read(buf)) > 0) {
          if (decoded.getAndAdd(n) == 0) firstSound.complete(clock.instant());
          out.write(buf, n);
        }
        if (!stopped) out.drain();
        int exit = process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
        if (stopped || exit == 0) {
          finished.complete(null);
        } else {
          finished.completeExceptionally(
              new IOException("ffmpeg exited with " + exit + ": " + tail(stderr)));
        }
      } catch (IOException | RuntimeException e) {
        if (stopped) finished.complete(null);
        else finished.completeExceptionally(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        finished.completeExceptionally(e);
      } finally {
        process.destroyForcibly();
        out.close();
        firstSound.completeExceptionally(new IOException("no sound was decoded"));
        try {
          Files.deleteIfExists(stderr);
        } catch (IOException e) {
          log.debug("Decoder log {} not deleted: {}", stderr, e.getMessage());
        }
      }
    }

    @Override
    public CompletableFuture<Instant> firstSound() {
      return firstSound;
    }

    @Override
    public CompletableFuture<Void> finished() {
      return finished;
    }

    @Override
    public long bytesDecoded() {
      return decoded.get();
    }

    @Override
    public void stop() {
      stopped = true;
      process.destroy();
    }
  }

  private static String tail(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? "(no message)" : text.substring(Math.max(0, text.length() - 300));
    } catch (IOException e) {
      return "(no message)";
    }
  }
}

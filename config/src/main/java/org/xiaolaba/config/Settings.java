package org.xiaolaba.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;

/**
 * Everything the server can be told, typed and validated. Built by {@link SettingsLoader} from the
 * embedded defaults, an optional YAML file and the environment; immutable once built.
 */
public record Settings(
    int port,
    Path dataDir,
    String timezone,
    Admin admin,
    Redis redis,
    Ffmpeg ffmpeg,
    Media media,
    Scheduler scheduler,
    Http http,
    WebSocket websocket,
    AreaNode areas) {

  public ZoneId zone() {
    return ZoneId.of(timezone);
  }

  /** Where clips and renditions are stored. */
  public Path mediaDir() {
    return dataDir.resolve("media");
  }

  public record Admin(String token) {}

  public record Redis(
      String url, String keyPrefix, int poolSize, Duration timeout, EmbeddedRedis embedded) {
    public boolean isEmbedded() {
      return url == null || url.isBlank();
    }
  }

  public record EmbeddedRedis(String appendfsync) {}

  public record Ffmpeg(
      String ffmpegPath, String ffprobePath, int workers, int queueSize, Duration timeout) {}

  public record Media(
      ByteSize maxUploadSize, Duration maxDuration, Map<String, Profile> profiles) {}

  /** One rendition profile: how audio is encoded for a channel (the horns or the app). */
  public record Profile(
      String codec,
      int channels,
      int sampleRate,
      int bitrate,
      double targetLufs,
      double truePeakDb,
      int highpassHz) {}

  public record Scheduler(Duration leadTime, int nextRunsShown) {}

  public record Http(ByteSize maxJsonSize, int blockingThreads, int blockingQueueSize) {}

  public record WebSocket(
      ByteSize maxFrameSize,
      Duration pingInterval,
      Duration idleTimeout,
      ByteSize maxOutboundBuffer) {}
}

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
    Audit audit,
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
      String url,
      String keyPrefix,
      int poolSize,
      Duration timeout,
      EmbeddedRedis embedded,
      Sentinel sentinel) {
    public boolean isEmbedded() {
      return (url == null || url.isBlank()) && !usesSentinel();
    }

    /** True when the master is found through Redis Sentinel ({@code redis.sentinel.master}). */
    public boolean usesSentinel() {
      return sentinel != null && sentinel.master() != null && !sentinel.master().isBlank();
    }
  }

  /**
   * Redis Sentinel: the name of the monitored master and the sentinels' {@code host:port}, comma
   * separated. When set, the master is whichever the sentinels name, before and after a failover.
   */
  public record Sentinel(String master, String nodes) {
    /** The sentinels, as {@code host:port} entries. */
    public java.util.List<String> nodeList() {
      if (nodes == null || nodes.isBlank()) return java.util.List.of();
      return java.util.Arrays.stream(nodes.split(",")).map(String::trim).toList();
    }
  }

  public record EmbeddedRedis(String appendfsync) {}

  public record Ffmpeg(
      String ffmpegPath, String ffprobePath, int workers, int queueSize, Duration timeout) {}

  public record Media(
      ByteSize maxUploadSize,
      Duration maxDuration,
      Silence silence,
      Bulletin bulletin,
      Map<String, Profile> profiles) {}

  /**
   * Silence handling: leading and trailing stretches quieter than {@code thresholdDb} and at least
   * {@code minDuration} long are trimmed; a clip whose integrated loudness is below {@code
   * silentBelowLufs} is refused rather than amplified into noise.
   */
  public record Silence(double thresholdDb, Duration minDuration, double silentBelowLufs) {}

  /**
   * Bulletin audio: optional intro and outro jingles (audio files; empty for none) and the gap put
   * between the items' clips.
   */
  public record Bulletin(String intro, String outro, Duration gap) {}

  /** One rendition profile: how audio is encoded for a channel (the horns or the app). */
  public record Profile(
      String codec,
      int channels,
      int sampleRate,
      int bitrate,
      double targetLufs,
      double truePeakDb,
      int highpassHz) {}

  /**
   * Scheduling: the lead time of {@code play}, how late a missed run may still play, how far ahead
   * conflicts are checked, the shortest time a cron rule may leave between two runs, the daily
   * bulletin's times, and quiet hours per area ({@code HH:mm-HH:mm}, may wrap midnight) during
   * which only emergencies play.
   */
  public record Scheduler(
      Duration leadTime,
      int nextRunsShown,
      Duration misfireGrace,
      Duration conflictHorizon,
      Duration minCronInterval,
      BulletinTimes bulletin,
      Map<String, String> quietHours) {}

  /** Quartz cron expressions, in {@code timezone}: when bulletins are prepared and pushed. */
  public record BulletinTimes(String prepareCron, String pushCron) {}

  /**
   * HTTP connections. {@code idleTimeout}: a connection whose client sends nothing for this long
   * while the server waits on it (for a request, or for the rest of one) is closed, as is one whose
   * client takes nothing of an answer for this long; {@code requestTimeout}: the longest a client
   * may take over a request line and headers, from their first byte. Neither applies once a
   * connection is a WebSocket. {@code eventLoops}: the threads serving connections; 0 is one per
   * core. {@code trustedProxies}: comma-separated addresses or CIDRs whose {@code X-Forwarded-For}
   * names the client (empty: none).
   */
  public record Http(
      ByteSize maxJsonSize,
      int blockingThreads,
      int blockingQueueSize,
      Throttle throttle,
      String advertiseUrl,
      String transport,
      int eventLoops,
      Duration idleTimeout,
      Duration requestTimeout,
      String trustedProxies) {}

  /**
   * Per client address, per node: failed token checks, uploads and pushes allowed per minute (token
   * buckets that refill evenly; 0 turns uploads or pushes off). Admin tokens skip the upload and
   * push limits when {@code exemptAdmins}.
   */
  public record Throttle(
      int authFailuresPerMinute, int uploadsPerMinute, int pushesPerMinute, boolean exemptAdmins) {}

  /**
   * WebSocket connections. {@code allowTokenInUrl}: whether {@code /ws?token=} still authenticates
   * (old terminals); off, a token must come in the first frame ({@code {"op": "auth"}}) and a URL
   * with one is refused with 400. {@code opBurst} and {@code opsPerSecond}: the messages one
   * connection may send at once and then each second (a token bucket per connection); past it the
   * connection is closed.
   */
  public record WebSocket(
      boolean allowTokenInUrl,
      ByteSize maxFrameSize,
      Duration pingInterval,
      Duration idleTimeout,
      ByteSize maxOutboundBuffer,
      int maxSubscriptions,
      int opBurst,
      int opsPerSecond,
      int maxConnectionsPerIp,
      int historyLength,
      Duration historyMaxAge,
      Duration presenceTtl) {}

  /**
   * The audit log of state-changing requests: entries older than {@code retention} are removed as
   * new ones are written, and never shown.
   */
  /**
   * The audit log: entries are kept for {@code retention}, at most {@code maxEntries} of them (the
   * oldest go first), and of requests without a known token at most {@code anonymousPerMinute} per
   * client address a minute on each node (the rest are counted, not kept).
   */
  public record Audit(Duration retention, long maxEntries, int anonymousPerMinute) {}
}

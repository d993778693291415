package org.xiaolaba.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import java.util.Set;

/** Checks ranges and formats once the layers are bound; the first bad value stops start-up. */
final class SettingsValidator {
  private static final Set<String> FSYNC = Set.of("always", "everysec", "no");
  private static final Set<String> CODECS = Set.of("mp3", "aac");
  private static final Set<String> TRANSPORTS = Set.of("auto", "epoll", "nio");
  private static final Set<Integer> SAMPLE_RATES =
      Set.of(8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000);

  /**
   * Placeholders seen in examples and templates, lower case, letters and digits only: a token made
   * of nothing but these (e.g. {@code Change-Me}, {@code change-me-change-me-...-2024}) is refused.
   */
  private static final String PLACEHOLDER_WORDS =
      "change|me|changeit|replace|secret|password|passwd|pass|admin|administrator|token|your|my"
          + "|here|xiaolaba|example|sample|default|test|demo|placeholder|todo|fixme|key|api|bearer"
          + "|bootstrap|insecure|dummy|foo|bar|letmein|qwerty|abc|x";

  private static final java.util.regex.Pattern PLACEHOLDER =
      java.util.regex.Pattern.compile("(?:" + PLACEHOLDER_WORDS + ")+[0-9]*");

  /** Shortest configured admin token: 32 characters, e.g. {@code openssl rand -base64 36}. */
  static final int MIN_ADMIN_TOKEN = 32;

  /** Longest: tokens above it are never looked up (TokenStore). */
  static final int MAX_ADMIN_TOKEN = 256;

  /** Fewer distinct characters than this in a token of 32 or more is no random secret. */
  private static final int MIN_DISTINCT = 10;

  private SettingsValidator() {}

  /** {@link #validate(Settings)}, then the secrets, whose errors name their variable. */
  static void validate(Settings s, Map<String, String> sources) {
    validate(s);
    adminToken(s.admin() == null ? null : s.admin().token(), sources.get("admin.token"));
  }

  static void validate(Settings s) {
    range("port", s.port(), 0, 65535);
    check(
        s.dataDir() != null && !s.dataDir().toString().isBlank(),
        "dataDir",
        s.dataDir(),
        "expected a directory path");
    zone("timezone", s.timezone());

    Settings.Redis r = s.redis();
    if (r.usesSentinel()) {
      check(
          !r.sentinel().nodeList().isEmpty()
              && r.sentinel().nodeList().stream().allMatch(n -> n.matches("[^:\\s]+:\\d{1,5}")),
          "redis.sentinel.nodes",
          r.sentinel().nodes(),
          "expected the sentinels as host:port, comma separated, e.g. 10.0.0.5:26379,10.0.0.6:26379");
    } else if (!r.isEmbedded()) {
      redisUrl(r.url());
    }
    check(
        r.keyPrefix() != null && r.keyPrefix().matches("\\S{1,32}"),
        "redis.keyPrefix",
        r.keyPrefix(),
        "expected 1 to 32 characters without spaces");
    range("redis.poolSize", r.poolSize(), 1, 1024);
    positive("redis.timeout", r.timeout());
    check(
        r.embedded().appendfsync() != null && FSYNC.contains(r.embedded().appendfsync()),
        "redis.embedded.appendfsync",
        r.embedded().appendfsync(),
        "expected one of " + FSYNC);

    Settings.Ffmpeg f = s.ffmpeg();
    range("ffmpeg.workers", f.workers(), 1, 64);
    range("ffmpeg.queueSize", f.queueSize(), 0, 100_000);
    positive("ffmpeg.timeout", f.timeout());

    Settings.Media m = s.media();
    check(
        m.maxUploadSize().bytes() > 0,
        "media.maxUploadSize",
        m.maxUploadSize(),
        "expected a size above 0");
    positive("media.maxDuration", m.maxDuration());
    Settings.Silence silence = m.silence();
    check(
        silence.thresholdDb() >= -90 && silence.thresholdDb() <= -20,
        "media.silence.thresholdDb",
        silence.thresholdDb(),
        "expected -90 to -20 dB");
    positive("media.silence.minDuration", silence.minDuration());
    check(
        silence.silentBelowLufs() >= -90 && silence.silentBelowLufs() <= -30,
        "media.silence.silentBelowLufs",
        silence.silentBelowLufs(),
        "expected -90 to -30 LUFS");
    Settings.Bulletin bulletin = m.bulletin();
    jingle("media.bulletin.intro", bulletin.intro());
    jingle("media.bulletin.outro", bulletin.outro());
    check(
        bulletin.gap() != null
            && !bulletin.gap().isNegative()
            && bulletin.gap().compareTo(Duration.ofSeconds(30)) <= 0,
        "media.bulletin.gap",
        bulletin.gap(),
        "expected 0s to 30s");
    for (String required : new String[] {"loudspeaker", "app"}) {
      check(
          m.profiles().containsKey(required),
          "media.profiles",
          m.profiles().keySet(),
          "expected a '" + required + "' profile");
    }
    for (Map.Entry<String, Settings.Profile> e : m.profiles().entrySet()) {
      profile("media.profiles." + e.getKey(), e.getValue());
    }

    positive("scheduler.leadTime", s.scheduler().leadTime().plusNanos(1));
    check(
        s.scheduler().leadTime().compareTo(Duration.ofHours(1)) <= 0,
        "scheduler.leadTime",
        s.scheduler().leadTime(),
        "expected at most 1h");
    range("scheduler.nextRunsShown", s.scheduler().nextRunsShown(), 1, 100);
    positive("scheduler.misfireGrace", s.scheduler().misfireGrace());
    positive("scheduler.conflictHorizon", s.scheduler().conflictHorizon());
    check(
        s.scheduler().conflictHorizon().compareTo(Duration.ofDays(366)) <= 0,
        "scheduler.conflictHorizon",
        s.scheduler().conflictHorizon(),
        "expected at most 366d");
    positive("scheduler.minCronInterval", s.scheduler().minCronInterval());
    AreaTree quietAreas = s.areas() == null ? null : AreaTree.of(s.areas());
    for (Map.Entry<String, String> q : s.scheduler().quietHours().entrySet()) {
      String key = "scheduler.quietHours." + q.getKey();
      check(
          quietAreas != null && quietAreas.contains(q.getKey()),
          key,
          q.getKey(),
          "expected a known area code");
      check(
          q.getValue() != null
              && q.getValue().matches("([01]\\d|2[0-3]):[0-5]\\d-([01]\\d|2[0-3]):[0-5]\\d")
              && !q.getValue().substring(0, 5).equals(q.getValue().substring(6)),
          key,
          q.getValue(),
          "expected HH:mm-HH:mm, e.g. 22:00-06:00");
    }

    Settings.Http h = s.http();
    range("http.maxJsonSize", h.maxJsonSize().bytes(), 1024, 64L * 1024 * 1024);
    range("http.blockingThreads", h.blockingThreads(), 1, 1024);
    range("http.blockingQueueSize", h.blockingQueueSize(), 1, 1_000_000);
    check(
        h.advertiseUrl() == null
            || h.advertiseUrl().isEmpty()
            || h.advertiseUrl().matches("https?://[^/\\s]+(:\\d{1,5})?"),
        "http.advertiseUrl",
        h.advertiseUrl(),
        "expected empty or http://host:port (no path)");
    check(
        h.transport() != null && TRANSPORTS.contains(h.transport()),
        "http.transport",
        h.transport(),
        "expected one of auto, epoll, nio");
    range("http.eventLoops", h.eventLoops(), 0, 1024);
    positive("http.idleTimeout", h.idleTimeout());
    positive("http.requestTimeout", h.requestTimeout());
    Settings.Throttle t = h.throttle();
    range("http.throttle.authFailuresPerMinute", t.authFailuresPerMinute(), 1, 100_000);
    range("http.throttle.uploadsPerMinute", t.uploadsPerMinute(), 0, 100_000);
    range("http.throttle.pushesPerMinute", t.pushesPerMinute(), 0, 100_000);

    Settings.WebSocket w = s.websocket();
    range("websocket.maxFrameSize", w.maxFrameSize().bytes(), 125, 16L * 1024 * 1024);
    positive("websocket.pingInterval", w.pingInterval());
    check(
        w.idleTimeout().compareTo(w.pingInterval()) > 0,
        "websocket.idleTimeout",
        w.idleTimeout(),
        "expected longer than websocket.pingInterval (" + w.pingInterval() + ")");
    range("websocket.maxOutboundBuffer", w.maxOutboundBuffer().bytes(), 4096, 1L << 30);
    range("websocket.maxSubscriptions", w.maxSubscriptions(), 1, 10_000);
    range("websocket.opBurst", w.opBurst(), 1, 100_000);
    range("websocket.opsPerSecond", w.opsPerSecond(), 1, 100_000);
    range("websocket.maxConnectionsPerIp", w.maxConnectionsPerIp(), 1, 10_000_000);
    range("websocket.historyLength", w.historyLength(), 1, 1_000_000);
    positive("websocket.historyMaxAge", w.historyMaxAge());
    check(
        w.presenceTtl().compareTo(w.pingInterval()) > 0,
        "websocket.presenceTtl",
        w.presenceTtl(),
        "expected longer than websocket.pingInterval (" + w.pingInterval() + ")");

    positive("audit.retention", s.audit().retention());
    range("audit.maxEntries", s.audit().maxEntries(), 1000, 1_000_000_000);
    range("audit.anonymousPerMinute", s.audit().anonymousPerMinute(), 1, 100_000);
    check(
        s.audit().retention().compareTo(Duration.ofDays(100 * 366)) <= 0,
        "audit.retention",
        s.audit().retention(),
        "expected at most 100 years, such as 400d");

    check(s.areas() != null, "areas", null, "expected an area tree with a county at its root");
    AreaTree.of(s.areas());
  }

  private static void profile(String key, Settings.Profile p) {
    check(
        p != null,
        key,
        null,
        "expected a profile with codec, channels, sampleRate, bitrate, targetLufs, truePeakDb and highpassHz");
    check(
        p.codec() != null && CODECS.contains(p.codec()),
        key + ".codec",
        p.codec(),
        "expected one of " + CODECS);
    range(key + ".channels", p.channels(), 1, 2);
    check(
        SAMPLE_RATES.contains(p.sampleRate()),
        key + ".sampleRate",
        p.sampleRate(),
        "expected one of " + SAMPLE_RATES);
    range(key + ".bitrate", p.bitrate(), 8000, 320_000);
    check(
        p.targetLufs() >= -70 && p.targetLufs() <= -5,
        key + ".targetLufs",
        p.targetLufs(),
        "expected -70 to -5 LUFS");
    check(
        p.truePeakDb() >= -9 && p.truePeakDb() <= 0,
        key + ".truePeakDb",
        p.truePeakDb(),
        "expected -9 to 0 dBTP");
    range(key + ".highpassHz", p.highpassHz(), 0, 1000);
  }

  private static void jingle(String key, String path) {
    if (path == null || path.isBlank()) return;
    check(
        java.nio.file.Files.isRegularFile(java.nio.file.Path.of(path)),
        key,
        path,
        "expected the path of an audio file, or empty for none");
  }

  private static void redisUrl(String url) {
    // Messages show the URL without its password: they end up in logs.
    String shown = url.replaceAll("//[^@/]*@", "//***@");
    String allowed = "expected redis://[user:pass@]host:port[/db] or rediss://…";
    try {
      URI u = new URI(url);
      check(
          ("redis".equals(u.getScheme()) || "rediss".equals(u.getScheme())) && u.getHost() != null,
          "redis.url",
          shown,
          allowed);
      String path = u.getPath() == null ? "" : u.getPath();
      check(path.isEmpty() || path.matches("/\\d{1,2}"), "redis.url", shown, allowed);
    } catch (URISyntaxException e) {
      throw ConfigException.badValue("redis.url", shown, allowed);
    }
  }

  /**
   * A configured admin token must be a real secret: 32 to 256 characters without spaces, not a
   * placeholder such as {@code change-me} (in any case, padded or repeated) and not a few
   * characters repeated. Empty: one is generated. The message never shows the value.
   */
  static void adminToken(String token, String variable) {
    if (token == null || token.isEmpty()) return;
    String key = "config key 'admin.token'" + (variable == null ? "" : " (from " + variable + ")");
    String allowed =
        "expected a random secret of "
            + MIN_ADMIN_TOKEN
            + " to "
            + MAX_ADMIN_TOKEN
            + " characters without spaces, e.g. the output of `openssl rand -base64 36`,"
            + " or empty to have one generated on the first start (the value is not shown)";
    if (token.length() < MIN_ADMIN_TOKEN) {
      throw new ConfigException(
          key + " is too short (" + token.length() + " characters): " + allowed);
    }
    if (token.length() > MAX_ADMIN_TOKEN) {
      throw new ConfigException(
          key + " is too long (" + token.length() + " characters): " + allowed);
    }
    if (!token.matches("[\\x21-\\x7e]+")) {
      throw new ConfigException(
          key + " contains spaces or characters outside printable ASCII: " + allowed);
    }
    String letters = token.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "");
    if (PLACEHOLDER.matcher(letters).matches()) {
      throw new ConfigException(
          key + " is a placeholder (like 'change-me' or 'your-token-here'): " + allowed);
    }
    if (token.chars().distinct().count() < MIN_DISTINCT) {
      throw new ConfigException(
          key + " repeats a few characters (fewer than " + MIN_DISTINCT + " distinct): " + allowed);
    }
  }

  private static void zone(String key, String value) {
    try {
      ZoneId.of(value);
    } catch (DateTimeException | NullPointerException e) {
      throw ConfigException.badValue(
          key, value, "expected an IANA time zone such as Asia/Shanghai");
    }
  }

  private static void positive(String key, Duration d) {
    check(
        d != null && !d.isNegative() && !d.isZero(),
        key,
        d,
        "expected a duration above 0, such as 30s");
  }

  private static void range(String key, long value, long min, long max) {
    check(value >= min && value <= max, key, value, "expected " + min + " to " + max);
  }

  private static void check(boolean ok, String key, Object value, String allowed) {
    if (!ok) {
      throw ConfigException.badValue(key, value, allowed);
    }
  }
}

package org.xiaolaba.server.push;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaCodes;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.Settings;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.redis.RedisHandle;

/**
 * Writes a push and reads its report. One script per push (one write, one fsync): the report
 * ({@code push:<id>}), the body once ({@code push:<id>:body}), and for each channel it reaches a
 * small history entry naming the push, the trims by length and age, the epoch of a new history, and
 * the live message (which carries the whole frame, so live fan-out reads nothing). The body and the
 * report expire with the history ({@code websocket.historyMaxAge}); a county push to a thousand
 * villages stores its body once, not a thousand times.
 */
final class PushStore {
  private static final Logger log = LoggerFactory.getLogger(PushStore.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  static final int MAX_BODY_CHARS = 100_000;

  /**
   * KEYS: the report's key, the body's key, then each channel's stream key and epoch key. ARGV:
   * data, max length, live channel, push id, the oldest offset kept, a new epoch token, the number
   * of channels n, the time to live of the report and body in ms, the n channel names, then the
   * report's fields and values.
   */
  private static final String APPEND_AND_PUBLISH =
      """
      local n = tonumber(ARGV[7])
      local report = {}
      for j = 9 + n, #ARGV do report[#report + 1] = ARGV[j] end
      redis.call('HSET', KEYS[1], unpack(report))
      redis.call('HSET', KEYS[1], 'written', n)
      redis.call('PEXPIRE', KEYS[1], ARGV[8])
      redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[8])
      local offsets = {}
      for i = 1, n do
        local key = KEYS[2 * i + 1]
        local id = redis.call('XADD', key, 'MAXLEN', ARGV[2], '*', 'push', ARGV[4])
        redis.call('XTRIM', key, 'MINID', ARGV[5])
        redis.call('SET', KEYS[2 * i + 2], ARGV[6], 'NX')
        local ch = ARGV[8 + i]
        redis.call('PUBLISH', ARGV[3], ch .. '\\n' .. id .. '\\n' .. ARGV[4] .. '\\n' ..
          '{"type":"push","channel":"' .. ch .. '","offset":"' .. id .. '","data":' .. ARGV[1] .. '}')
        offsets[i] = id
      end
      return offsets
      """;

  private final RedisHandle redis;
  private final AreaTree areas;
  private final Clock clock;
  private final ChannelHistory history;
  private final int historyLength;
  private final long ttlMillis;
  private final String liveChannel;

  PushStore(
      RedisHandle redis,
      AreaTree areas,
      Clock clock,
      ChannelHistory history,
      Settings.WebSocket cfg,
      String liveChannel) {
    this.redis = redis;
    this.areas = areas;
    this.clock = clock;
    this.history = history;
    this.historyLength = cfg.historyLength();
    this.ttlMillis = cfg.historyMaxAge().toMillis();
    this.liveChannel = liveChannel;
  }

  /** Writes a push to the history of every channel it reaches and sends it live; its id. */
  String publish(PushRequest req, String audioUrl) {
    List<String> targets = validate(req);
    String id = newId();
    Instant now = clock.instant();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("pushId", id);
    data.put("kind", req.kind() == null ? "notice" : req.kind());
    data.put("title", req.title());
    data.put("body", req.body() == null ? "" : req.body());
    if (audioUrl != null) data.put("audioUrl", audioUrl);
    data.put("sentAt", now.toString());
    String dataJson = Frames.write(data);

    Set<String> channels = new LinkedHashSet<>();
    for (String area : targets) {
      for (String code : areas.selfAndDescendants(area)) channels.add("area:" + code);
    }
    for (String terminal : req.terminalsOrNone()) channels.add(PushHub.TERMINAL_PREFIX + terminal);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("id", id);
    meta.put("kind", (String) data.get("kind"));
    meta.put("title", req.title());
    meta.put("areas", String.join(",", targets));
    meta.put("terminals", String.join(",", req.terminalsOrNone()));
    meta.put("createdAt", now.toString());
    meta.put("delivered", "0");
    meta.put("acked", "0");
    List<String> keys = new ArrayList<>(channels.size() * 2 + 2);
    keys.add(reportKey(redis, id));
    keys.add(bodyKey(redis, id));
    for (String ch : channels) {
      keys.add(history.streamKey(ch));
      keys.add(history.epochKey(ch));
    }
    List<String> args =
        new ArrayList<>(
            List.of(
                dataJson,
                Integer.toString(historyLength),
                liveChannel,
                id,
                history.oldestKept(),
                newId(),
                Integer.toString(channels.size()),
                Long.toString(ttlMillis)));
    args.addAll(channels);
    meta.forEach(
        (field, value) -> {
          args.add(field);
          args.add(value);
        });
    redis.client().eval(APPEND_AND_PUBLISH, keys, args);
    log.info(
        "Push {} '{}' written to {} channels for areas {} and terminals {}",
        id,
        req.title(),
        channels.size(),
        targets,
        req.terminalsOrNone());
    return id;
  }

  private List<String> validate(PushRequest req) {
    if (req.title() == null || req.title().isBlank())
      throw new InvalidInputException("title", "title is required");
    if (req.title().length() > 200)
      throw new InvalidInputException("title", "title is longer than 200 characters");
    // A bulletin digest holds many items; it is still far below a connection's outbound bound.
    if (req.body() != null && req.body().length() > MAX_BODY_CHARS)
      throw new InvalidInputException(
          "body", "body is longer than " + MAX_BODY_CHARS + " characters");
    if (req.kind() != null
        && !Set.of("policy", "news", "notice", "bulletin").contains(req.kind())) {
      throw new InvalidInputException(
          "kind", "kind must be policy, news, notice or bulletin, not '" + req.kind() + "'");
    }
    if (req.areasOrNone().isEmpty() && req.terminalsOrNone().isEmpty()) {
      throw new InvalidInputException("areas", "name at least one area code (or terminal)");
    }
    for (String t : req.terminalsOrNone()) {
      if (t == null || !t.matches("[A-Za-z0-9_-]{1,64}")) {
        throw new InvalidInputException("terminals", "not a terminal id: '" + t + "'");
      }
    }
    return req.areasOrNone().isEmpty() ? List.of() : AreaCodes.parse(areas, req.areas(), "areas");
  }

  /** A push's report while it is kept (as long as the history keeps it). */
  Optional<PushReport> report(String id) {
    Map<String, String> h = redis.client().hgetAll(reportKey(redis, id));
    if (h == null || h.get("createdAt") == null) return Optional.empty();
    return Optional.of(
        new PushReport(
            h.get("id"),
            h.get("kind"),
            h.get("title"),
            split(h.get("areas")),
            split(h.get("terminals")),
            Instant.parse(h.get("createdAt")),
            count(h, "written"),
            count(h, "delivered"),
            count(h, "acked")));
  }

  private static long count(Map<String, String> h, String field) {
    String v = h.get(field);
    return v == null ? 0 : Long.parseLong(v);
  }

  private static List<String> split(String csv) {
    return csv == null || csv.isEmpty() ? List.of() : List.of(csv.split(","));
  }

  static String reportKey(RedisHandle redis, String id) {
    return redis.key("push:" + id);
  }

  /** Where a push's data (the {@code data} of its frames) is kept once for every channel. */
  static String bodyKey(RedisHandle redis, String id) {
    return redis.key("push:" + id + ":body");
  }

  private static String newId() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}

package org.xiaolaba.server.audit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The audit log in Redis: one stream ({@code audit}) that is only ever appended to, its entry ids
 * the node's clock in epoch milliseconds (never going back, so days are id ranges). Every append
 * trims what is older than the retention ({@code audit.retention}), and reads never show it, so
 * nothing has to run on a timer for old entries to go.
 */
public final class AuditLog {
  /** Entries read from Redis per round while a day is searched, newest first. */
  static final int BATCH = 500;

  /**
   * KEYS: the stream. ARGV: the entry's time (epoch ms), the oldest time kept (epoch ms), the most
   * entries kept, then its fields and values. The id is that time, or the last entry's time when
   * that is later (another node's clock ahead), with the next sequence number: ids never go back.
   */
  private static final String APPEND =
      """
      local id = ARGV[1] .. '-0'
      local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
      if #last > 0 then
        local lms, lseq = string.match(last[1][1], '^(%d+)-(%d+)$')
        if tonumber(ARGV[1]) <= tonumber(lms) then id = lms .. '-' .. (tonumber(lseq) + 1) end
      end
      local fields = {}
      for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
      redis.call('XADD', KEYS[1], id, unpack(fields))
      redis.call('XTRIM', KEYS[1], 'MINID', ARGV[2])
      redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[3])
      return id
      """;

  private final RedisHandle redis;
  private final Clock clock;
  private final ZoneId zone;
  private final Duration retention;
  private final String key;
  private final long maxEntries;

  public AuditLog(RedisHandle redis, Clock clock, ZoneId zone, Duration retention) {
    this(redis, clock, zone, retention, 1_000_000);
  }

  /** {@code maxEntries}: the most entries kept whatever their age; the oldest go first. */
  public AuditLog(
      RedisHandle redis, Clock clock, ZoneId zone, Duration retention, long maxEntries) {
    this.maxEntries = maxEntries;
    this.redis = redis;
    this.clock = clock;
    this.zone = zone;
    this.retention = retention;
    this.key = redis.key("audit");
  }

  /** Now, in the configured zone: the time an entry is stamped with. */
  public OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), zone);
  }

  /** Today in the configured zone. */
  public LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), zone);
  }

  /** Appends an entry (Redis work: on a blocking worker) and returns its id. */
  public String append(AuditEntry e) {
    long at = e.at().toInstant().toEpochMilli();
    List<String> args = new ArrayList<>();
    args.add(Long.toString(at));
    args.add(Long.toString(Math.max(0, at - retention.toMillis())));
    args.add(Long.toString(maxEntries));
    fields(e)
        .forEach(
            (k, v) -> {
              args.add(k);
              args.add(v);
            });
    return String.valueOf(redis.client().eval(APPEND, List.of(key), args));
  }

  /**
   * Up to {@code limit} entries of {@code day} (in the configured zone), newest first, within the
   * retention; {@code actor} (a token id) and {@code target} filter when not null.
   */
  public List<AuditEntry> read(LocalDate day, String actor, String target, int limit) {
    long from =
        Math.max(
            day.atStartOfDay(zone).toInstant().toEpochMilli(),
            clock.millis() - retention.toMillis());
    long to = day.plusDays(1).atStartOfDay(zone).toInstant().toEpochMilli() - 1;
    List<AuditEntry> out = new ArrayList<>();
    if (from > to) return out;
    String end = Long.toString(to);
    while (out.size() < limit) {
      List<StreamEntry> batch = redis.client().xrevrange(key, end, Long.toString(from), BATCH);
      for (StreamEntry s : batch) {
        AuditEntry e = entry(s);
        if ((actor == null || actor.equals(e.actorId()))
            && (target == null || target.equals(e.target()))) {
          out.add(e);
          if (out.size() == limit) break;
        }
      }
      if (batch.size() < BATCH) break;
      end = "(" + batch.get(batch.size() - 1).getID();
    }
    return out;
  }

  private static Map<String, String> fields(AuditEntry e) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("at", Long.toString(e.at().toInstant().toEpochMilli()));
    put(f, "actorId", e.actorId());
    put(f, "actorName", e.actorName());
    put(f, "actorRole", e.actorRole());
    put(f, "address", e.address());
    put(f, "method", e.method());
    put(f, "route", e.route());
    put(f, "path", e.path());
    put(f, "target", e.target());
    f.put("status", Integer.toString(e.status()));
    put(f, "detail", e.detail());
    return f;
  }

  private static void put(Map<String, String> f, String name, String value) {
    if (value != null) f.put(name, value);
  }

  private AuditEntry entry(StreamEntry s) {
    Map<String, String> f = s.getFields();
    String at = f.get("at");
    Instant when = Instant.ofEpochMilli(at == null ? s.getID().getTime() : Long.parseLong(at));
    return new AuditEntry(
        s.getID().toString(),
        OffsetDateTime.ofInstant(when, zone),
        f.get("actorId"),
        f.get("actorName"),
        f.get("actorRole"),
        f.get("address"),
        f.get("method"),
        f.get("route"),
        f.get("path"),
        f.get("target"),
        Integer.parseInt(f.getOrDefault("status", "0")),
        f.get("detail"));
  }
}

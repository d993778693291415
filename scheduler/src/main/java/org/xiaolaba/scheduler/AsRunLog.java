package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;

/**
 * What was played, for broadcasters and for compliance. Keys (after the configured prefix):
 *
 * <ul>
 *   <li>{@code runs:<programId>}: the program's runs, a list of {@link ProgramRun} JSON, oldest
 *       first, capped at {@link #RUNS_KEPT};
 *   <li>{@code asrun:<yyyy-MM-dd>}: every run scheduled that day (in the configured zone), a sorted
 *       set of {@link AsRunEntry} JSON scored by scheduled instant, kept {@link #DAY_LOG_TTL};
 *   <li>{@code run:<runId>:confirmed}: terminals that confirmed playing the run;
 *   <li>{@code run:<runId>:interrupted}: what stopped the run after it went out.
 * </ul>
 *
 * The feedback keys are merged in when reading, since they arrive after the run was written.
 */
final class AsRunLog {
  private static final Logger log = LoggerFactory.getLogger(AsRunLog.class);

  /** Runs kept per program; older ones drop off. */
  static final int RUNS_KEPT = 1000;

  /** How long an area's day log is kept: a year and a bit, for yearly compliance reviews. */
  static final Duration DAY_LOG_TTL = Duration.ofDays(400);

  static final Duration FEEDBACK_TTL = Duration.ofDays(30);
  static final Duration DELETED_RUNS_TTL = Duration.ofDays(30);

  private final RedisHandle redis;
  private final UnifiedJedis client;
  private final ObjectMapper json;
  private final AreaOverlap areas;
  private final ZoneId zone;

  AsRunLog(RedisHandle redis, ObjectMapper json, AreaOverlap areas, ZoneId zone) {
    this.redis = redis;
    this.client = redis.client();
    this.json = json;
    this.areas = areas;
    this.zone = zone;
  }

  private String runsKey(String programId) {
    return redis.key("runs:" + programId);
  }

  private String dayKey(LocalDate date) {
    return redis.key("asrun:" + date);
  }

  private String confirmedKey(String runId) {
    return redis.key("run:" + runId + ":confirmed");
  }

  private String interruptedKey(String runId) {
    return redis.key("run:" + runId + ":interrupted");
  }

  /** Writes a run to its program's log and to the day log of its scheduled day. */
  void record(
      String programId, String title, String priority, List<String> runAreas, ProgramRun run) {
    String runs = runsKey(programId);
    LocalDate day = run.scheduledAt().atZoneSameInstant(zone).toLocalDate();
    String dayKey = dayKey(day);
    AsRunEntry entry = AsRunEntry.of(programId, title, priority, runAreas, run);
    try (AbstractPipeline p = client.pipelined()) {
      p.rpush(runs, write(run));
      p.ltrim(runs, -RUNS_KEPT, -1);
      p.zadd(dayKey, run.scheduledAt().toInstant().toEpochMilli(), write(entry));
      p.expire(dayKey, DAY_LOG_TTL.toSeconds());
      p.sync();
    }
  }

  /** Runs of a program looked through for the record a {@link #replace} replaces. */
  private static final int REPLACE_WITHIN = 200;

  /**
   * Writes a run sent again (its program changed before it started) in place of its earlier record:
   * the run is in its program's log and its day's log once, as it went out last.
   */
  void replace(
      String programId, String title, String priority, List<String> runAreas, ProgramRun run) {
    String runs = runsKey(programId);
    long at = run.scheduledAt().toInstant().toEpochMilli();
    String dayKey = dayKey(run.scheduledAt().atZoneSameInstant(zone).toLocalDate());
    List<String> recent = client.lrange(runs, -REPLACE_WITHIN, -1);
    List<String> sameInstant = client.zrangeByScore(dayKey, at, at);
    try (AbstractPipeline p = client.pipelined()) {
      for (String r : recent) {
        if (run.runId().equals(runIdOf(r))) p.lrem(runs, 0, r);
      }
      for (String e : sameInstant) {
        if (run.runId().equals(runIdOf(e))) p.zrem(dayKey, e);
      }
      p.sync();
    }
    record(programId, title, priority, runAreas, run);
  }

  /** The program's runs, oldest first, with confirmations and interruptions. */
  List<ProgramRun> runs(String programId) {
    List<ProgramRun> runs = readAll(client.lrange(runsKey(programId), 0, -1), ProgramRun.class);
    return withFeedback(runs, ProgramRun::runId, ProgramRun::withFeedback);
  }

  /**
   * The day's runs of everything played in, above or below {@code area}, by scheduled instant;
   * {@code date} is a day in the configured zone.
   */
  List<AsRunEntry> day(String area, LocalDate date) {
    List<AsRunEntry> all =
        readAll(client.zrange(dayKey(date), 0, -1), AsRunEntry.class).stream()
            .filter(e -> e.areas() != null && areas.overlaps(List.of(area), e.areas()))
            .toList();
    return withFeedback(all, AsRunEntry::runId, AsRunEntry::withFeedback);
  }

  /**
   * Just the run id of a recorded run, which ends in its scheduled instant ({@link ProgramRun}): a
   * start reads 100,000 of them, and parsing their dates took longer than the rest.
   */
  private record LastRun(String runId) {
    Optional<Instant> scheduled() {
      if (runId == null) return Optional.empty();
      try {
        long millis = Long.parseLong(runId.substring(runId.lastIndexOf(':') + 1));
        return Optional.of(Instant.ofEpochMilli(millis));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
  }

  /** The scheduled instant of each program's last recorded run; absent when it has none. */
  Map<String, Instant> lastScheduled(Collection<String> programIds) {
    List<String> ids = new ArrayList<>(programIds);
    List<Response<String>> last = new ArrayList<>(ids.size());
    try (AbstractPipeline p = client.pipelined()) {
      for (String id : ids) last.add(p.lindex(runsKey(id), -1));
      p.sync();
    }
    Map<String, Instant> out = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      String body = last.get(i).get();
      if (body == null) continue;
      String id = ids.get(i);
      readAll(List.of(body), LastRun.class).stream()
          .map(LastRun::scheduled)
          .flatMap(Optional::stream)
          .forEach(at -> out.put(id, at));
    }
    return out;
  }

  void confirm(String runId, String terminalId) {
    String key = confirmedKey(runId);
    try (AbstractPipeline p = client.pipelined()) {
      p.sadd(key, terminalId);
      p.expire(key, FEEDBACK_TTL.toSeconds());
      p.sync();
    }
  }

  /** Notes that the run was stopped after it went out, and by what. */
  /** Which of these runs were stopped after they went out (preempted or called off). */
  Set<String> interruptedAmong(Collection<String> runIds) {
    List<String> ids = List.copyOf(runIds);
    List<Response<Boolean>> found = new ArrayList<>();
    try (AbstractPipeline p = client.pipelined()) {
      for (String id : ids) found.add(p.exists(interruptedKey(id)));
    }
    Set<String> out = new HashSet<>();
    for (int k = 0; k < ids.size(); k++) {
      if (Boolean.TRUE.equals(found.get(k).get())) out.add(ids.get(k));
    }
    return out;
  }

  /** Forgets what stopped a run: it is sent again (its program changed before it started). */
  void clearInterrupted(String runId) {
    client.del(interruptedKey(runId));
  }

  void interrupted(String runId, String by) {
    client.setex(interruptedKey(runId), FEEDBACK_TTL.toSeconds(), by);
  }

  /** A deleted program's runs stay readable for a while, then go. */
  void expireRuns(String programId) {
    client.expire(runsKey(programId), DELETED_RUNS_TTL.toSeconds());
  }

  /** How a record takes in its confirmations and interruption. */
  private interface Feedback<T> {
    T with(T record, List<String> confirmed, String interruptedBy);
  }

  private <T> List<T> withFeedback(List<T> runs, Function<T, String> runId, Feedback<T> merge) {
    List<Response<Set<String>>> confirmed = new ArrayList<>(runs.size());
    List<Response<String>> interrupted = new ArrayList<>(runs.size());
    try (AbstractPipeline p = client.pipelined()) {
      for (T r : runs) {
        confirmed.add(p.smembers(confirmedKey(runId.apply(r))));
        interrupted.add(p.get(interruptedKey(runId.apply(r))));
      }
      p.sync();
    }
    List<T> out = new ArrayList<>(runs.size());
    for (int i = 0; i < runs.size(); i++) {
      List<String> terminals = confirmed.get(i).get().stream().sorted().toList();
      out.add(merge.with(runs.get(i), terminals, interrupted.get(i).get()));
    }
    return out;
  }

  /** The run id of a stored record of either log; empty when it cannot be read. */
  private String runIdOf(String body) {
    try {
      return json.readTree(body).path("runId").asText("");
    } catch (JsonProcessingException e) {
      return "";
    }
  }

  private <T> List<T> readAll(List<String> bodies, Class<T> type) {
    List<T> out = new ArrayList<>(bodies.size());
    for (String body : bodies) {
      try {
        out.add(json.readValue(body, type));
      } catch (JsonProcessingException e) {
        log.warn("Skipping an unreadable as-run record: {}", e.getOriginalMessage());
      }
    }
    return out;
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value + " as JSON", e);
    }
  }
}

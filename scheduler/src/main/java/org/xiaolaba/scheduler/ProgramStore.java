package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.SetParams;

/**
 * Programs, runs and claims in Redis. Keys (after the configured prefix):
 *
 * <ul>
 *   <li>{@code programs}: set of program ids;
 *   <li>{@code program:<id>}: the program, JSON ({@link StoredProgram});
 *   <li>{@code runs:<id>}: the as-run log, a list of {@link ProgramRun} JSON, oldest first, capped
 *       at {@link #RUNS_KEPT};
 *   <li>{@code run:<runId>:confirmed}: set of terminal ids that confirmed playing the run;
 *   <li>{@code claim:<id>:<epochMillis>}: who dispatched that run; set once ({@code SET NX}).
 * </ul>
 *
 * All calls block; callers keep them off event loops.
 */
final class ProgramStore {
  private static final Logger log = LoggerFactory.getLogger(ProgramStore.class);

  /** Runs kept per program; older ones drop off. */
  static final int RUNS_KEPT = 1000;

  /** How long a claim, a confirmation set and a deleted program's runs are kept. */
  static final Duration CLAIM_TTL = Duration.ofDays(7);

  static final Duration CONFIRMATIONS_TTL = Duration.ofDays(30);
  static final Duration DELETED_RUNS_TTL = Duration.ofDays(30);

  private final RedisHandle redis;
  private final JedisPooled client;
  private final ObjectMapper json;

  ProgramStore(RedisHandle redis, ObjectMapper json) {
    this.redis = redis;
    this.client = redis.client();
    this.json = json;
  }

  private String programKey(String id) {
    return redis.key("program:" + id);
  }

  private String idsKey() {
    return redis.key("programs");
  }

  private String runsKey(String id) {
    return redis.key("runs:" + id);
  }

  private String confirmedKey(String runId) {
    return redis.key("run:" + runId + ":confirmed");
  }

  String claimKey(String programId, Instant run) {
    return redis.key("claim:" + programId + ":" + run.toEpochMilli());
  }

  void save(StoredProgram p) {
    String body = write(p);
    try (AbstractTransaction tx = client.multi()) {
      tx.set(programKey(p.id()), body);
      tx.sadd(idsKey(), p.id());
      tx.exec();
    }
  }

  Optional<StoredProgram> find(String id) {
    if (id == null || id.isBlank()) return Optional.empty();
    return Optional.ofNullable(client.get(programKey(id))).flatMap(body -> read(id, body));
  }

  boolean exists(String id) {
    return client.exists(programKey(id));
  }

  /** Every stored program, oldest first. */
  List<StoredProgram> all() {
    Set<String> ids = client.smembers(idsKey());
    List<Response<String>> bodies = new ArrayList<>(ids.size());
    List<String> order = new ArrayList<>(ids);
    try (AbstractPipeline p = client.pipelined()) {
      for (String id : order) bodies.add(p.get(programKey(id)));
      p.sync();
    }
    List<StoredProgram> out = new ArrayList<>(ids.size());
    for (int i = 0; i < order.size(); i++) {
      String body = bodies.get(i).get();
      if (body != null) read(order.get(i), body).ifPresent(out::add);
    }
    out.sort(Comparator.comparing(StoredProgram::createdAt).thenComparing(StoredProgram::id));
    return out;
  }

  /** Removes the program; its runs stay readable in Redis for a while, for the as-run log. */
  boolean delete(String id) {
    try (AbstractTransaction tx = client.multi()) {
      Response<Long> removed = tx.del(programKey(id));
      tx.srem(idsKey(), id);
      tx.expire(runsKey(id), DELETED_RUNS_TTL.toSeconds());
      tx.exec();
      return removed.get() > 0;
    }
  }

  /** Takes the run for {@code nodeId}; false when another node (or an earlier firing) has it. */
  boolean claim(String programId, Instant run, String nodeId, Instant now) {
    String ok =
        client.set(
            claimKey(programId, run),
            nodeId + " " + now,
            SetParams.setParams().nx().ex(CLAIM_TTL.toSeconds()));
    return "OK".equals(ok);
  }

  void appendRun(String programId, ProgramRun run) {
    String key = runsKey(programId);
    try (AbstractPipeline p = client.pipelined()) {
      p.rpush(key, write(run));
      p.ltrim(key, -RUNS_KEPT, -1);
      p.sync();
    }
  }

  /** The as-run log, oldest first, with each run's confirmations. */
  List<ProgramRun> runs(String programId) {
    List<String> bodies = client.lrange(runsKey(programId), 0, -1);
    List<ProgramRun> runs = new ArrayList<>(bodies.size());
    for (String body : bodies) {
      try {
        runs.add(json.readValue(body, ProgramRun.class));
      } catch (JsonProcessingException e) {
        log.warn("Skipping an unreadable run of program {}: {}", programId, e.getOriginalMessage());
      }
    }
    List<Response<Set<String>>> confirmed = new ArrayList<>(runs.size());
    try (AbstractPipeline p = client.pipelined()) {
      for (ProgramRun r : runs) confirmed.add(p.smembers(confirmedKey(r.runId())));
      p.sync();
    }
    List<ProgramRun> out = new ArrayList<>(runs.size());
    for (int i = 0; i < runs.size(); i++) {
      ProgramRun r = runs.get(i);
      List<String> terminals = confirmed.get(i).get().stream().sorted().toList();
      out.add(
          new ProgramRun(
              r.runId(),
              r.scheduledAt(),
              r.dispatchedAt(),
              r.terminalsReached(),
              terminals,
              r.late(),
              r.missed(),
              r.error()));
    }
    return out;
  }

  void confirm(String runId, String terminalId) {
    String key = confirmedKey(runId);
    try (AbstractPipeline p = client.pipelined()) {
      p.sadd(key, terminalId);
      p.expire(key, CONFIRMATIONS_TTL.toSeconds());
      p.sync();
    }
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value + " as JSON", e);
    }
  }

  private Optional<StoredProgram> read(String id, String body) {
    try {
      return Optional.of(json.readValue(body, StoredProgram.class));
    } catch (JsonProcessingException e) {
      log.warn(
          "Program {} in Redis is not readable and is ignored until fixed or deleted: {}",
          id,
          e.getOriginalMessage());
      return Optional.empty();
    }
  }
}

package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.errors.VersionMismatchException;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;

/**
 * Programs, their area index and run claims in Redis. Keys (after the configured prefix):
 *
 * <ul>
 *   <li>{@code programs}: set of program ids;
 *   <li>{@code program:<id>}: the program, JSON ({@link StoredProgram});
 *   <li>{@code programs:area:<code>:<priority>}: ids of the programs of that priority filed under
 *       that area (one of the program's own areas), so the programs near an area are found without
 *       reading them all;
 * </ul>
 *
 * Run claims are {@link Claims}'s, the as-run log {@link AsRunLog}'s. All calls block; callers keep
 * them off event loops.
 */
final class ProgramStore {
  private static final Logger log = LoggerFactory.getLogger(ProgramStore.class);

  /** Attempts at a checked save while other programs keep landing near it. */
  static final int SAVE_ATTEMPTS = 5;

  /** Bump when the area index changes shape: nodes then rebuild it at start. */
  static final String INDEX_VERSION = "1";

  private final RedisHandle redis;
  private final UnifiedJedis client;
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

  private String indexKey(String area, Priority priority) {
    return redis.key("programs:area:" + area + ":" + priority.json());
  }

  /**
   * Saves the program unless, between {@code check} and the write, another program of its priority
   * was filed under one of {@code watchedAreas}: then {@code check} runs again on what is there
   * now. {@code check} throws to refuse; nothing is written then.
   */
  void saveChecked(StoredProgram p, Collection<String> watchedAreas, Runnable check) {
    write(p, false, watchedAreas, check, null);
  }

  /**
   * {@link #saveChecked} for a program changed in place: replaces the stored program of its id,
   * moving its area index entries from the version replaced, which it returns; when the program is
   * changed by someone else meanwhile, it checks again on what is there now.
   *
   * @throws NotFoundException when there is no program of that id (any more)
   */
  StoredProgram replaceChecked(
      StoredProgram p, Collection<String> watchedAreas, Runnable check, String ifVersion) {
    return write(p, true, watchedAreas, check, ifVersion);
  }

  /**
   * @param ifVersion when replacing: the version the change was made against, or null for any; a
   *     stored program of another version is left as it is ({@link VersionMismatchException})
   */
  private StoredProgram write(
      StoredProgram p,
      boolean replace,
      Collection<String> watchedAreas,
      Runnable check,
      String ifVersion) {
    List<String> watch = new ArrayList<>();
    watchedAreas.stream().map(a -> indexKey(a, p.rank())).distinct().forEach(watch::add);
    if (replace) watch.add(programKey(p.id()));
    for (int attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      try (AbstractTransaction tx = client.transaction(false)) {
        if (!watch.isEmpty()) tx.watch(watch.toArray(String[]::new));
        StoredProgram before = null;
        if (replace) {
          before =
              find(p.id())
                  .orElseThrow(() -> new NotFoundException("program " + p.id() + " not found"));
          if (ifVersion != null && !ifVersion.equals(before.version())) {
            throw new VersionMismatchException("program " + p.id(), ifVersion, before.version());
          }
        }
        check.run();
        tx.multi();
        tx.set(programKey(p.id()), write(p));
        tx.sadd(idsKey(), p.id());
        if (before != null) {
          for (String area : before.areas()) tx.srem(indexKey(area, before.rank()), p.id());
        }
        for (String area : p.areas()) tx.sadd(indexKey(area, p.rank()), p.id());
        if (tx.exec() != null) return before;
      }
      log.debug("Program {}: a program landed nearby while checking; checking again", p.id());
    }
    throw new OverloadedException(
        "programs for these areas are changing too fast to check for conflicts; try again", 1);
  }

  Optional<StoredProgram> find(String id) {
    if (id == null || id.isBlank()) return Optional.empty();
    return Optional.ofNullable(client.get(programKey(id))).flatMap(body -> read(id, body));
  }

  boolean exists(String id) {
    return client.exists(programKey(id));
  }

  /** Ids of every stored program. */
  Set<String> ids() {
    return client.smembers(idsKey());
  }

  /** Every stored program, oldest first. */
  List<StoredProgram> all() {
    List<StoredProgram> out = findAll(client.smembers(idsKey()));
    out.sort(Comparator.comparing(StoredProgram::createdAt).thenComparing(StoredProgram::id));
    return out;
  }

  /** The programs of these ids that exist, in no particular order. */
  List<StoredProgram> findAll(Collection<String> ids) {
    List<String> order = new ArrayList<>(ids);
    List<Response<String>> bodies = new ArrayList<>(order.size());
    try (AbstractPipeline p = client.pipelined()) {
      for (String id : order) bodies.add(p.get(programKey(id)));
      p.sync();
    }
    List<StoredProgram> out = new ArrayList<>(order.size());
    for (int i = 0; i < order.size(); i++) {
      String body = bodies.get(i).get();
      if (body != null) read(order.get(i), body).ifPresent(out::add);
    }
    return out;
  }

  /** Ids of the programs of {@code priorities} filed under any of {@code areas}. */
  Set<String> idsFiledUnder(Collection<String> areas, Collection<Priority> priorities) {
    List<Response<Set<String>>> sets = new ArrayList<>();
    try (AbstractPipeline p = client.pipelined()) {
      for (String area : areas) {
        for (Priority priority : priorities) sets.add(p.smembers(indexKey(area, priority)));
      }
      p.sync();
    }
    Set<String> ids = new HashSet<>();
    for (Response<Set<String>> s : sets) ids.addAll(s.get());
    return ids;
  }

  /** Files programs stored before the area index existed; once per index version. */
  void ensureIndexed() {
    String marker = redis.key("programs:index-version");
    if (INDEX_VERSION.equals(client.get(marker))) return;
    List<StoredProgram> all = all();
    if (all.isEmpty()) return; // nothing to file; new programs file themselves
    try (AbstractPipeline p = client.pipelined()) {
      for (StoredProgram program : all) {
        for (String area : program.areas()) p.sadd(indexKey(area, program.rank()), program.id());
      }
      p.set(marker, INDEX_VERSION);
      p.sync();
    }
    log.info("Filed {} programs in the area index", all.size());
  }

  /** Removes the program and its index entries; its runs stay readable for a while. */
  boolean delete(String id) {
    Optional<StoredProgram> p = find(id);
    try (AbstractTransaction tx = client.multi()) {
      Response<Long> removed = tx.del(programKey(id));
      tx.srem(idsKey(), id);
      if (p.isPresent()) {
        for (String area : p.get().areas()) tx.srem(indexKey(area, p.get().rank()), id);
      }
      tx.exec();
      return removed.get() > 0;
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

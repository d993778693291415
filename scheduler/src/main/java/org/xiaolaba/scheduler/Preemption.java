package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.OverloadedException;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;

/**
 * What terminals are playing, or have been told to play, per area, so that a higher priority takes
 * over from a lower one. Every dispatched run is booked, at dispatch, under each of its areas in
 * {@code playing:<code>} (a sorted set of {@link PlayCommand} JSON scored by end instant).
 *
 * <p>When a run comes up, the bookings in overlapping areas (above and below) whose play windows
 * overlap its own decide: where a higher-priority run is already on at its start, it is skipped;
 * where it starts before a higher-priority run, it plays and is stopped when that one starts; the
 * lower-priority runs it overlaps are stopped from its start. Reading and booking are one
 * optimistic transaction ({@code WATCH}), so two nodes dispatching at once see each other.
 */
final class Preemption {
  private static final Logger log = LoggerFactory.getLogger(Preemption.class);

  /** Bookings that ended longer ago than this are dropped when an area is next written. */
  static final Duration KEEP_ENDED = Duration.ofHours(1);

  static final int ATTEMPTS = 5;

  /** A booked run of higher priority that keeps (part of) a run from starting. */
  record Blocker(PlayCommand run, List<String> areas) {
    String describe() {
      return "program "
          + run.programId()
          + " \""
          + run.title()
          + "\" ("
          + run.priority()
          + ", run "
          + run.runId()
          + ") in "
          + areas;
    }
  }

  /** A lower-priority run the admitted one takes over from, and where. */
  record Interruption(PlayCommand victim, StopCommand stop) {}

  /**
   * What to do with a run: {@code play} it (in what is left of its areas; empty when nothing is),
   * then send {@code stops}.
   */
  record Admission(
      Optional<PlayCommand> play,
      List<Blocker> blockedBy,
      List<Interruption> interrupts,
      List<StopCommand> stops) {}

  private final RedisHandle redis;
  private final UnifiedJedis client;
  private final ObjectMapper json;
  private final AreaOverlap areas;

  Preemption(RedisHandle redis, ObjectMapper json, AreaOverlap areas) {
    this.redis = redis;
    this.client = redis.client();
    this.json = json;
    this.areas = areas;
  }

  private String key(String area) {
    return redis.key("playing:" + area);
  }

  /** Decides how {@code run} plays against what is booked, and books what of it plays. */
  Admission admit(PlayCommand run, Instant now) {
    Priority ours = Priority.parse(run.priority()).orElse(Priority.NORMAL);
    String[] watched = areas.related(run.areas()).stream().map(this::key).toArray(String[]::new);
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try (AbstractTransaction tx = client.transaction(false)) {
        tx.watch(watched);
        List<PlayCommand> overlapping = overlapping(run, List.of(watched));
        List<Blocker> blockers = new ArrayList<>();
        List<PlayCommand> later = new ArrayList<>();
        List<PlayCommand> victims = new ArrayList<>();
        for (PlayCommand b : overlapping) {
          Priority theirs = Priority.parse(b.priority()).orElse(Priority.NORMAL);
          if (theirs.compareTo(ours) > 0) {
            if (b.startAt().isAfter(run.startAt())) later.add(b);
            else blockers.add(new Blocker(b, areas.intersect(run.areas(), b.areas())));
          } else if (ours.preempts(theirs)) {
            victims.add(b);
          }
        }
        List<String> blockedAreas =
            blockers.stream().flatMap(b -> b.run().areas().stream()).toList();
        List<String> playAreas = areas.subtract(run.areas(), blockedAreas);
        if (playAreas.isEmpty()) {
          tx.unwatch();
          return new Admission(Optional.empty(), blockers, List.of(), List.of());
        }
        PlayCommand play = run.withAreas(playAreas);
        tx.multi();
        book(tx, play, now);
        if (tx.exec() == null) continue;
        return new Admission(
            Optional.of(play), blockers, interruptions(play, victims), stops(play, later));
      }
    }
    throw new OverloadedException("too many runs starting at once in " + run.areas(), 1);
  }

  private void book(AbstractTransaction tx, PlayCommand play, Instant now) {
    String member = write(play);
    long ttl =
        Math.max(0, Duration.between(now, play.endAt()).toSeconds())
            + Duration.ofDays(1).toSeconds();
    for (String area : play.areas()) {
      String k = key(area);
      tx.zremrangeByScore(k, Double.NEGATIVE_INFINITY, now.minus(KEEP_ENDED).toEpochMilli());
      tx.zadd(k, play.endAt().toEpochMilli(), member);
      tx.expire(k, ttl);
    }
  }

  /** Booked runs other than {@code run} in overlapping areas whose windows overlap its own. */
  private List<PlayCommand> overlapping(PlayCommand run, List<String> keys) {
    Instant end = run.endAt().equals(run.startAt()) ? run.startAt().plusMillis(1) : run.endAt();
    List<PlayCommand> out = new ArrayList<>();
    for (PlayCommand b : read(keys, run.startAt())) {
      if (b.runId().equals(run.runId()) || !b.startAt().isBefore(end)) continue;
      if (areas.overlaps(run.areas(), b.areas())) out.add(b);
    }
    return out;
  }

  private List<Interruption> interruptions(PlayCommand play, List<PlayCommand> victims) {
    List<Interruption> out = new ArrayList<>();
    for (PlayCommand v : victims) {
      List<String> where = areas.intersect(v.areas(), play.areas());
      if (where.isEmpty()) continue;
      out.add(
          new Interruption(
              v,
              new StopCommand(
                  v.programId(), v.runId(), where, StopCommand.PREEMPTED, play.startAt())));
    }
    return out;
  }

  /** Stops for {@code play} itself where a higher-priority run starts while it plays. */
  private List<StopCommand> stops(PlayCommand play, List<PlayCommand> later) {
    List<StopCommand> out = new ArrayList<>();
    for (PlayCommand h : later) {
      List<String> where = areas.intersect(play.areas(), h.areas());
      if (!where.isEmpty()) {
        out.add(
            new StopCommand(
                play.programId(), play.runId(), where, StopCommand.PREEMPTED, h.startAt()));
      }
    }
    return out;
  }

  /**
   * Runs booked in or above {@code terminalAreas} that have not ended by {@code now} and start
   * before {@code until}: what a terminal there should hold.
   */
  List<PlayCommand> coveringTerminal(Collection<String> terminalAreas, Instant now, Instant until) {
    List<String> keys = areas.covering(terminalAreas).stream().map(this::key).toList();
    return read(keys, now).stream().filter(b -> b.startAt().isBefore(until)).toList();
  }

  /** Removes the run's bookings, so nothing more is decided against it; true when it had any. */
  boolean release(String runId, Collection<String> runAreas, Instant now) {
    boolean removed = false;
    for (String area : runAreas) {
      String k = key(area);
      for (String member : client.zrangeByScore(k, now.toEpochMilli(), Double.POSITIVE_INFINITY)) {
        PlayCommand b = parse(member);
        if (b != null && b.runId().equals(runId)) removed |= client.zrem(k, member) > 0;
      }
    }
    return removed;
  }

  /** Distinct bookings in these keys ending after {@code after}. */
  private List<PlayCommand> read(Collection<String> keys, Instant after) {
    List<Response<List<String>>> found = new ArrayList<>(keys.size());
    try (AbstractPipeline p = client.pipelined()) {
      for (String k : keys) {
        found.add(p.zrangeByScore(k, "(" + after.toEpochMilli(), "+inf"));
      }
      p.sync();
    }
    Map<String, PlayCommand> byRun = new LinkedHashMap<>();
    for (Response<List<String>> r : found) {
      for (String member : r.get()) {
        PlayCommand b = parse(member);
        // A bulletin run has one booking per area, all with its run id.
        if (b != null) byRun.putIfAbsent(b.runId() + " " + b.areas(), b);
      }
    }
    return new ArrayList<>(byRun.values());
  }

  private PlayCommand parse(String member) {
    try {
      return json.readValue(member, PlayCommand.class);
    } catch (JsonProcessingException e) {
      log.warn("Ignoring an unreadable booking: {}", e.getOriginalMessage());
      return null;
    }
  }

  private String write(PlayCommand c) {
    try {
      return json.writeValueAsString(c);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

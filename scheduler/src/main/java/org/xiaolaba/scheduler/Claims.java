package org.xiaolaba.scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.redis.RedisHandle;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.SetParams;

/**
 * Work done once across the cluster (a program's run, a day's bulletins), claimed in Redis under a
 * lease. The node that takes a claim ({@code SET NX}) holds it as {@code "<node> pending <lease
 * end>"} while it works, renewing the lease as it goes, and marks it {@code "<node> done <when>"}
 * when the work is finished. The nodes that lose the claim while it is pending watch it: if the
 * lease runs out before it is done (the holder died or froze between the claim and the end of the
 * work), the first of them to notice takes the claim over (compare-and-set on the value it saw) and
 * does the work itself. So work is never lost to a node that dies after claiming it; it is done
 * again only when the holder died in the middle of doing it (a {@code play} that went out twice
 * carries the same run id, which terminals treat as one).
 *
 * <p>A node that finds a pending claim of its own that it is neither taking nor holding takes it
 * back at once (compare-and-set), without waiting for the lease: its claim command timed out (Redis
 * frozen) and Redis carried it out afterwards, so the work was never started. Node ids are new at
 * every start, so no other process holds such a claim.
 *
 * <p>Lease ends are read by the injected {@link Clock}; one thread per node renews this node's
 * leases and checks the watched ones every {@link #TICK}. Keys are kept {@link #KEPT}.
 */
final class Claims implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Claims.class);

  /** How long a claim stays pending without its holder renewing it before others take it over. */
  static final Duration LEASE = Duration.ofSeconds(15);

  /** How often leases are renewed and watched claims checked. */
  static final Duration TICK = Duration.ofSeconds(1);

  /** How long a claim key is kept. */
  static final Duration KEPT = Duration.ofDays(7);

  /** Claims of other nodes watched at most at once; further ones are not watched (and logged). */
  static final int MAX_WATCHED = 10_000;

  /** Replaces the value when it is still {@code ARGV[1]}; else returns what is there (0: none). */
  private static final String SWAP =
      "local v = redis.call('GET', KEYS[1]) "
          + "if v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end "
          + "if v then return v end return 0";

  /** The outcome of claiming: {@code won}, and the value now stored (ours when won). */
  record Result(boolean won, String value) {}

  /** What a claim value says: its holder, whether the work is done, and when its lease ends. */
  record Holder(String node, boolean done, Instant until) {
    static Holder parse(String value) {
      String[] parts = value == null ? new String[0] : value.split(" ");
      if (parts.length == 3 && parts[1].equals("pending")) {
        try {
          return new Holder(parts[0], false, Instant.ofEpochMilli(Long.parseLong(parts[2])));
        } catch (NumberFormatException e) {
          // Not a lease: taken as done below.
        }
      }
      // Done, or written by an older version (node and instant): finished either way.
      return new Holder(parts.length > 0 ? parts[0] : "", true, Instant.MIN);
    }
  }

  /** Work to do under a claim; told whether this node took the claim over from another. */
  interface Work {
    void run(boolean takenOver);
  }

  private record Watched(String value, Instant until, String what, Work work) {}

  private final RedisHandle redis;
  private final String nodeId;
  private final Clock clock;
  private final ScheduledExecutorService ticker;

  /** This node's pending claims: key to the value it holds now. */
  private final Map<String, String> held = new ConcurrentHashMap<>();

  /** Other nodes' pending claims this node would take over: key to what it saw. */
  private final Map<String, Watched> watched = new ConcurrentHashMap<>();

  /**
   * Keys this node is claiming or taking over right now, until they are in {@link #held} or lost: a
   * pending claim of this node's under one of them is not stale.
   */
  private final Set<String> taking = ConcurrentHashMap.newKeySet();

  /** Finished work whose done mark Redis did not take: the ticker writes it when Redis answers. */
  private final Map<String, Unfinished> unfinished = new ConcurrentHashMap<>();

  private record Unfinished(String last, String what) {}

  Claims(RedisHandle redis, String nodeId, Clock clock) {
    this.redis = redis;
    this.nodeId = nodeId;
    this.clock = clock;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "xiaolaba-claims-" + nodeId);
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleWithFixedDelay(
        this::tickSafely, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Does {@code work} here if this node wins the claim {@code name} (its key is {@code
   * claim:<name>}), marking it done afterwards, and returns true. When another node holds it
   * pending, watches it: should its lease run out first, this node takes it over and does {@code
   * work} then, on its claims thread. Returns false when the work is not done here now.
   */
  boolean once(String name, String what, Work work) {
    String key = redis.key("claim:" + name);
    boolean alone = taking.add(key);
    Result r;
    boolean reclaimed = false;
    try {
      r = take(key);
      if (!r.won() && alone && staleOwn(key, r.value())) {
        r = swap(key, r.value(), pending(clock.instant()));
        reclaimed = r.won();
      }
      if (r.won()) held.put(key, r.value());
    } finally {
      if (alone) taking.remove(key);
    }
    if (!r.won()) {
      watch(key, r.value(), what, work);
      return false;
    }
    if (reclaimed) {
      log.warn(
          "Node {} found its own claim of {} pending though it never took it (the claim command"
              + " timed out and Redis carried it out later); doing it now",
          nodeId,
          what);
    }
    doHeld(key, what, work, reclaimed);
    return true;
  }

  /**
   * A pending claim of this node's that none of its threads is taking or holding: its claim command
   * timed out, so the work never started, and Redis carried it out afterwards.
   */
  private boolean staleOwn(String key, String value) {
    Holder h = Holder.parse(value);
    return !h.done()
        && h.node().equals(nodeId)
        && !held.containsKey(key)
        && !unfinished.containsKey(key); // done here, its mark not written yet: not stale
  }

  /** The claim name of a program's run: {@code <programId>:<epochMillis>}. */
  static String runName(String programId, Instant run) {
    return programId + ":" + run.toEpochMilli();
  }

  /** Which of these runs of the program some node has claimed, pending or done. */
  Set<Instant> claimedRuns(String programId, List<Instant> runs) {
    List<Response<Boolean>> found = new ArrayList<>(runs.size());
    try (AbstractPipeline p = redis.client().pipelined()) {
      for (Instant run : runs) found.add(p.exists(redis.key("claim:" + runName(programId, run))));
      p.sync();
    }
    Set<Instant> out = new HashSet<>();
    for (int i = 0; i < runs.size(); i++) if (found.get(i).get()) out.add(runs.get(i));
    return out;
  }

  /** How many claims of other nodes this node watches; for tests and logs. */
  int watching() {
    return watched.size();
  }

  /** Runs the lease checks once now, as the claims thread does every tick; for tests. */
  void tick() {
    Instant now = clock.instant();
    for (String key : held.keySet()) held.computeIfPresent(key, (k, v) -> renew(k, v, now));
    for (Map.Entry<String, Watched> e : watched.entrySet()) {
      Watched w = e.getValue();
      if (now.isBefore(w.until())) continue;
      if (!watched.remove(e.getKey(), w)) continue;
      takeOver(e.getKey(), w, now);
    }
    for (Map.Entry<String, Unfinished> e : unfinished.entrySet()) {
      markDone(e.getKey(), e.getValue().last(), e.getValue().what());
      unfinished.remove(e.getKey(), e.getValue());
    }
  }

  /** Claims this node holds (working under them, or about to); for tests. */
  int holding() {
    return held.size();
  }

  /** Claims whose work is finished and whose done mark is still to be written; for tests. */
  int unfinished() {
    return unfinished.size();
  }

  private void tickSafely() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.warn("Checking claim leases failed ({}); trying again in {}", e.toString(), TICK);
    }
  }

  private Result take(String key) {
    String value = pending(clock.instant());
    String ok = redis.client().set(key, value, SetParams.setParams().nx().ex(KEPT.toSeconds()));
    if ("OK".equals(ok)) return new Result(true, value);
    return new Result(false, redis.client().get(key));
  }

  private void watch(String key, String value, String what, Work work) {
    Holder h = Holder.parse(value);
    // Done, or this node's own that it is doing now: nothing to take over.
    if (h.done() || (h.node().equals(nodeId) && held.containsKey(key))) return;
    if (watched.size() >= MAX_WATCHED && !watched.containsKey(key)) {
      log.warn(
          "Not watching {} held by node {}: already watching {} claims; if that node dies it is"
              + " not taken over",
          what,
          h.node(),
          MAX_WATCHED);
      return;
    }
    watched.put(key, new Watched(value, h.until(), what, work));
  }

  private void takeOver(String key, Watched w, Instant now) {
    if (!taking.add(key)) {
      // Another thread of this node is claiming it right now: look again at the next tick.
      watched.putIfAbsent(key, w);
      return;
    }
    String mine = pending(now);
    Result r;
    try {
      r = swap(key, w.value(), mine);
      if (r.won()) held.put(key, mine);
    } catch (RuntimeException e) {
      // Redis did not answer: still watched, tried again at the next tick.
      watched.putIfAbsent(key, w);
      throw e;
    } finally {
      taking.remove(key);
    }
    if (r.won()) {
      log.warn(
          "Node {} claimed {} but did not finish it within its lease (until {}); node {} takes"
              + " it over",
          Holder.parse(w.value()).node(),
          w.what(),
          w.until(),
          nodeId);
      doHeld(key, w.what(), w.work(), true);
    } else {
      // Renewed by a live holder, done, or taken over by another node: watch what is there now.
      watch(key, r.value(), w.what(), w.work());
    }
  }

  /**
   * Sets the claim to {@code next} if it is still {@code seen}: won, with {@code next}; else lost,
   * with what is there now (null: nothing).
   */
  private Result swap(String key, String seen, String next) {
    Object r = redis.client().eval(SWAP, List.of(key), List.of(seen, next));
    if (r instanceof Long n && n == 1L) return new Result(true, next);
    return new Result(false, r instanceof String current ? current : null);
  }

  /** Runs the work of a claim this node holds (in {@code held} already), then marks it done. */
  private void doHeld(String key, String what, Work work, boolean takenOver) {
    try {
      work.run(takenOver);
    } finally {
      // Under the map's lock for the key, so that a renewal does not slip in between.
      held.computeIfPresent(key, (k, last) -> finish(k, last, what));
    }
  }

  /** Marks a held claim done; returns null, so that it is no longer held (nor renewed). */
  private String finish(String key, String last, String what) {
    try {
      markDone(key, last, what);
    } catch (RuntimeException e) {
      // Redis did not answer (frozen, or gone for a moment): the ticker writes the mark later.
      unfinished.put(key, new Unfinished(last, what));
      log.warn(
          "Node {} finished {} but Redis did not take its done mark ({}); writing it when it"
              + " answers",
          nodeId,
          what,
          e.toString());
    }
    return null;
  }

  private void markDone(String key, String last, String what) {
    Result r = swap(key, last, nodeId + " done " + clock.instant().toEpochMilli());
    // Already done by this node: a mark that timed out, carried out by Redis after all.
    if (!r.won() && (r.value() == null || !r.value().startsWith(nodeId + " done "))) {
      log.warn(
          "Node {} finished {} after its claim had passed to another node (its lease ran out)",
          nodeId,
          what);
    }
  }

  /**
   * Extends a held lease when a third of it is left; returns the value held afterwards, or null
   * when the claim was lost (it passed to another node): no longer held, nor renewed.
   */
  private String renew(String key, String value, Instant now) {
    Holder h = Holder.parse(value);
    if (now.isBefore(h.until().minus(LEASE.multipliedBy(2).dividedBy(3)))) return value;
    String next = pending(now);
    if (swap(key, value, next).won()) return next;
    log.warn("Node {} lost its claim {} before finishing (lease ran out)", nodeId, key);
    return null;
  }

  private String pending(Instant now) {
    return nodeId + " pending " + now.plus(LEASE).toEpochMilli();
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}

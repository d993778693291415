package org.xiaolaba.server.push;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.scheduler.DispatchPort;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.http.Json;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;

/**
 * Where each loudspeaker terminal is: online or not, last seen, what it reports (state, now
 * playing, volume). What it reported is kept in one Redis hash ({@code terminals:presence}) so any
 * node can answer {@code GET /api/v1/terminals}; whether it is online is a key per terminal ({@code
 * terminals:online:<id>}, holding its connection's id) that expires after {@code
 * websocket.presenceTtl} unless the node holding the connection refreshes it, so the terminals of a
 * node that dies show offline soon after, whichever node is asked. Writes go to blocking workers;
 * the event loop only hands them over.
 */
public final class TerminalPresence implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TerminalPresence.class);

  /** Deletes or refreshes the online key only while it still holds this connection's id. */
  private static final String IF_MINE =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then "
          + "if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end "
          + "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

  private final RedisHandle redis;
  private final ExecutorService blocking;
  private final Clock clock;
  private final Duration ttl;

  /** This node's terminal connections: terminal id to connection id. */
  private final Map<String, String> local = new ConcurrentHashMap<>();

  /** Token ids revoked since this node started (the last {@link #REVOKED_KEPT}): never written. */
  private final Set<String> revoked =
      Collections.newSetFromMap(
          Collections.synchronizedMap(
              new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                  return size() > REVOKED_KEPT;
                }
              }));

  static final int REVOKED_KEPT = 10_000;

  private final ScheduledExecutorService refresher;

  /** Per terminal, the changes to its record still to be applied (see {@link #update}). */
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  /** One terminal as the API shows it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Terminal(
      String id,
      String name,
      List<String> areas,
      boolean online,
      Instant lastSeen,
      String state,
      String nowPlaying,
      Integer volume,
      Long clockOffsetMs,
      Long startErrorMs) {

    static Terminal first(Principal p) {
      return new Terminal(p.id(), p.name(), p.areas(), false, null, "idle", null, null, null, null);
    }

    /** The token's current name and areas (an admin may have changed them). */
    Terminal named(Principal p) {
      return new Terminal(
          id,
          p.name(),
          p.areas(),
          online,
          lastSeen,
          state,
          nowPlaying,
          volume,
          clockOffsetMs,
          startErrorMs);
    }

    Terminal seen(boolean isOnline, Instant at) {
      return new Terminal(
          id,
          name,
          areas,
          isOnline,
          at,
          state,
          isOnline ? nowPlaying : null,
          volume,
          clockOffsetMs,
          startErrorMs);
    }

    /** What the terminal said about itself; a field it left out keeps its last value. */
    Terminal reported(StatusReport r, Instant at) {
      return new Terminal(
          id,
          name,
          areas,
          true,
          at,
          r.state(),
          r.nowPlaying(),
          r.volume() != null ? r.volume() : volume,
          r.clockOffsetMs() != null ? r.clockOffsetMs() : clockOffsetMs,
          r.startErrorMs() != null ? r.startErrorMs() : startErrorMs);
    }
  }

  public TerminalPresence(RedisHandle redis, ExecutorService blocking, Clock clock, Duration ttl) {
    this.redis = redis;
    this.blocking = blocking;
    this.clock = clock;
    this.ttl = ttl;
    this.refresher =
        Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("presence", true));
    long every = Math.max(1, ttl.toMillis() / 3);
    refresher.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
  }

  void connected(Principal p, String connection) {
    local.put(p.id(), connection);
    update(
        p,
        t -> {
          redis.client().psetex(onlineKey(p.id()), ttl.toMillis(), connection);
          return t.seen(true, clock.instant());
        });
  }

  void disconnected(Principal p, String connection) {
    local.remove(p.id(), connection);
    update(
        p,
        t -> {
          Object gone =
              redis.client().eval(IF_MINE, List.of(onlineKey(p.id())), List.of(connection, "0"));
          // Connected again meanwhile, here or on another node: that connection's record stands.
          return Long.valueOf(1).equals(gone) ? t.seen(false, clock.instant()) : null;
        });
  }

  /** Keeps this node's terminals online: their keys expire only if this node stops doing this. */
  private void refresh() {
    if (local.isEmpty()) return;
    try (AbstractPipeline pipe = redis.client().pipelined()) {
      String ms = Long.toString(ttl.toMillis());
      for (Map.Entry<String, String> e : local.entrySet()) {
        pipe.eval(IF_MINE, List.of(onlineKey(e.getKey())), List.of(e.getValue(), ms));
      }
      pipe.sync();
    } catch (RuntimeException e) {
      log.warn("Refreshing the presence of {} terminals failed: {}", local.size(), e.toString());
    }
  }

  /**
   * A token was revoked (told on every node): if it is a terminal's, it leaves the presence table
   * now, and nothing its closing connection still reports writes it back.
   */
  public void revoked(String tokenId) {
    revoked.add(tokenId);
    local.remove(tokenId);
    pending.remove(tokenId);
    try {
      blocking.execute(() -> forget(tokenId));
    } catch (RejectedExecutionException e) {
      forget(tokenId);
    }
  }

  private void forget(String tokenId) {
    try {
      redis.client().hdel(key(), tokenId);
      redis.client().del(onlineKey(tokenId));
    } catch (RuntimeException e) {
      log.warn("Revoked terminal {} not removed from presence: {}", tokenId, e.toString());
    }
  }

  void status(Principal p, StatusReport report) {
    update(p, t -> t.reported(report, clock.instant()));
  }

  /**
   * Applies a change to a terminal's record on a blocking worker. A terminal's changes are applied
   * one after another, in the order they were made, each on what the one before wrote: its connect
   * and the status it sends right after could otherwise run on two workers at once, both read the
   * record, and the later write undo the other. Changes made while a terminal's are being applied
   * are taken together (one read, one write).
   */
  private void update(Principal p, UnaryOperator<Terminal> change) {
    Pending q = pending.computeIfAbsent(p.id(), k -> new Pending());
    boolean start;
    synchronized (q) {
      if (q.changes.size() >= MAX_PENDING) {
        log.warn(
            "Presence of terminal {} not recorded: {} changes already waiting",
            p.id(),
            MAX_PENDING);
        return;
      }
      q.changes.add(change);
      q.principal = p;
      start = !q.draining;
      q.draining = true;
    }
    if (!start) return;
    try {
      blocking.execute(() -> drain(p.id(), q));
    } catch (RejectedExecutionException e) {
      synchronized (q) {
        q.changes.clear();
        q.draining = false;
      }
      log.warn("Presence of terminal {} not recorded: workers are saturated", p.id());
    }
  }

  /** The changes of one terminal not yet applied, and whether a worker is applying them. */
  private static final class Pending {
    final ArrayDeque<UnaryOperator<Terminal>> changes = new ArrayDeque<>();
    Principal principal;
    boolean draining;
  }

  /** Changes waiting per terminal beyond which new ones are dropped (status is rate-limited). */
  static final int MAX_PENDING = 64;

  private void drain(String id, Pending q) {
    while (true) {
      List<UnaryOperator<Terminal>> batch;
      Principal p;
      synchronized (q) {
        if (q.changes.isEmpty()) {
          q.draining = false;
          return;
        }
        batch = new ArrayList<>(q.changes);
        q.changes.clear();
        p = q.principal;
      }
      apply(p, batch);
    }
  }

  private void apply(Principal p, List<UnaryOperator<Terminal>> changes) {
    try {
      if (revoked.contains(p.id())) return;
      Terminal known = read(p.id());
      Terminal current = known == null ? Terminal.first(p) : known.named(p);
      boolean changed = false;
      for (UnaryOperator<Terminal> change : changes) {
        Terminal next = change.apply(current);
        if (next != null) {
          current = next;
          changed = true;
        }
      }
      if (!changed) return;
      redis.client().hset(key(), p.id(), Json.MAPPER.writeValueAsString(current));
      // Revoked while this was written: it goes again.
      if (revoked.contains(p.id())) forget(p.id());
    } catch (RuntimeException | JsonProcessingException e) {
      log.warn("Presence of terminal {} not recorded: {}", p.id(), e.getMessage());
    }
  }

  private Terminal read(String id) {
    String json = redis.client().hget(key(), id);
    if (json == null) return null;
    try {
      return Json.MAPPER.readValue(json, Terminal.class);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /**
   * Every terminal that has connected at least once; online when its online key is there (its node
   * is alive and holds its connection).
   */
  public List<Terminal> all() {
    List<Terminal> out = new ArrayList<>();
    for (Map.Entry<String, String> e : redis.client().hgetAll(key()).entrySet()) {
      try {
        out.add(Json.MAPPER.readValue(e.getValue(), Terminal.class));
      } catch (JsonProcessingException ex) {
        log.warn("Unreadable presence record for terminal {}", e.getKey());
      }
    }
    List<Response<Boolean>> online = new ArrayList<>(out.size());
    try (AbstractPipeline pipe = redis.client().pipelined()) {
      for (Terminal t : out) online.add(pipe.exists(onlineKey(t.id())));
      pipe.sync();
    }
    for (int i = 0; i < out.size(); i++) {
      Terminal t = out.get(i);
      boolean on = online.get(i).get();
      if (t.online() != on) out.set(i, t.seen(on, t.lastSeen()));
    }
    out.sort(java.util.Comparator.comparing(Terminal::id));
    return out;
  }

  /** One terminal that has connected at least once, as last recorded. */
  public Optional<Terminal> find(String id) {
    return Optional.ofNullable(read(id));
  }

  private String onlineKey(String terminalId) {
    return redis.key("terminals:online:" + terminalId);
  }

  @Override
  public void close() {
    refresher.shutdownNow();
  }

  /**
   * What a play command for {@code targets} reaches: the terminals known in those areas (targeted)
   * and, of them, the ones online (reached).
   */
  public DispatchPort.Delivery reachIn(AreaTree areas, List<String> targets) {
    int targeted = 0;
    int reached = 0;
    for (Terminal t : all()) {
      if (t.areas().stream().anyMatch(a -> areas.coversAny(targets, a))) {
        targeted++;
        if (t.online()) reached++;
      }
    }
    return new DispatchPort.Delivery(targeted, reached);
  }

  private String key() {
    return redis.key("terminals:presence");
  }
}

package org.xiaolaba.server.push;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.scheduler.DispatchPort;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.http.Json;

/**
 * Where each loudspeaker terminal is: online or not, last seen, what it reports (state, now
 * playing, volume). Kept in one Redis hash so any node can answer {@code GET /api/v1/terminals}.
 * Writes go to blocking workers; the event loop only hands them over.
 */
public final class TerminalPresence {
  private static final Logger log = LoggerFactory.getLogger(TerminalPresence.class);

  private final RedisHandle redis;
  private final ExecutorService blocking;
  private final Clock clock;

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
    Terminal reported(JsonNode msg, Instant at) {
      return new Terminal(
          id,
          name,
          areas,
          true,
          at,
          msg.path("state").asText("idle"),
          msg.hasNonNull("nowPlaying") ? msg.get("nowPlaying").asText() : null,
          msg.hasNonNull("volume") ? Integer.valueOf(msg.get("volume").asInt()) : volume,
          msg.hasNonNull("clockOffsetMs")
              ? Long.valueOf(msg.get("clockOffsetMs").asLong())
              : clockOffsetMs,
          msg.hasNonNull("startErrorMs")
              ? Long.valueOf(msg.get("startErrorMs").asLong())
              : startErrorMs);
    }
  }

  public TerminalPresence(RedisHandle redis, ExecutorService blocking, Clock clock) {
    this.redis = redis;
    this.blocking = blocking;
    this.clock = clock;
  }

  void connected(Principal p) {
    update(p, t -> t.seen(true, clock.instant()));
  }

  void disconnected(Principal p) {
    update(p, t -> t.seen(false, clock.instant()));
  }

  void status(Principal p, JsonNode msg) {
    update(p, t -> t.reported(msg, clock.instant()));
  }

  private void update(Principal p, java.util.function.UnaryOperator<Terminal> change) {
    try {
      blocking.execute(
          () -> {
            try {
              Terminal known = read(p.id());
              Terminal current = known == null ? Terminal.first(p) : known.named(p);
              Terminal next = change.apply(current);
              redis.client().hset(key(), p.id(), Json.MAPPER.writeValueAsString(next));
            } catch (RuntimeException | JsonProcessingException e) {
              log.warn("Presence of terminal {} not recorded: {}", p.id(), e.getMessage());
            }
          });
    } catch (RejectedExecutionException e) {
      log.warn("Presence of terminal {} not recorded: workers are saturated", p.id());
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

  /** Every terminal that has connected at least once. */
  public List<Terminal> all() {
    List<Terminal> out = new ArrayList<>();
    for (Map.Entry<String, String> e : redis.client().hgetAll(key()).entrySet()) {
      try {
        out.add(Json.MAPPER.readValue(e.getValue(), Terminal.class));
      } catch (JsonProcessingException ex) {
        log.warn("Unreadable presence record for terminal {}", e.getKey());
      }
    }
    out.sort(java.util.Comparator.comparing(Terminal::id));
    return out;
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

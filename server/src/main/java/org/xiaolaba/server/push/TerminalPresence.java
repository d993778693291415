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
      Long clockOffsetMs) {}

  public TerminalPresence(RedisHandle redis, ExecutorService blocking, Clock clock) {
    this.redis = redis;
    this.blocking = blocking;
    this.clock = clock;
  }

  void connected(Principal p) {
    update(
        p,
        t ->
            new Terminal(
                p.id(),
                p.name(),
                p.areas(),
                true,
                clock.instant(),
                t == null ? "idle" : t.state(),
                t == null ? null : t.nowPlaying(),
                t == null ? null : t.volume(),
                t == null ? null : t.clockOffsetMs()));
  }

  void disconnected(Principal p) {
    update(
        p,
        t ->
            new Terminal(
                p.id(),
                p.name(),
                p.areas(),
                false,
                clock.instant(),
                t == null ? null : t.state(),
                null,
                t == null ? null : t.volume(),
                t == null ? null : t.clockOffsetMs()));
  }

  void status(Principal p, JsonNode msg) {
    String state = msg.path("state").asText("idle");
    String nowPlaying = msg.hasNonNull("nowPlaying") ? msg.get("nowPlaying").asText() : null;
    Integer volume = msg.hasNonNull("volume") ? msg.get("volume").asInt() : null;
    Long offset = msg.hasNonNull("clockOffsetMs") ? msg.get("clockOffsetMs").asLong() : null;
    update(
        p,
        t ->
            new Terminal(
                p.id(),
                p.name(),
                p.areas(),
                true,
                clock.instant(),
                state,
                nowPlaying,
                volume,
                offset));
  }

  private void update(Principal p, java.util.function.UnaryOperator<Terminal> change) {
    try {
      blocking.execute(
          () -> {
            try {
              Terminal next = change.apply(read(p.id()));
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

  /** Online terminals in any of {@code targets}: what a play command reaches. */
  public int onlineIn(AreaTree areas, List<String> targets) {
    int n = 0;
    for (Terminal t : all()) {
      if (t.online() && t.areas().stream().anyMatch(a -> areas.coversAny(targets, a))) n++;
    }
    return n;
  }

  private String key() {
    return redis.key("terminals:presence");
  }
}

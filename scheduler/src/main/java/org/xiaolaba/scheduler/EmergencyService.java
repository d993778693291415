package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.media.Clip;

/**
 * Emergency broadcasts: a clip that plays now (no lead time) on every terminal in the areas, over
 * anything else, until it ends or is called off. Kept at {@code emergency:<id>} for {@link #KEPT};
 * its run goes to the as-run log like a program's. Methods block on Redis.
 */
public final class EmergencyService {
  private static final Logger log = LoggerFactory.getLogger(EmergencyService.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  static final Duration KEPT = Duration.ofDays(30);

  private final RedisHandle redis;
  private final ObjectMapper json;
  private final ProgramValidator validator;
  private final RunDispatcher runs;
  private final Preemption preemption;
  private final DispatchPort dispatch;
  private final AsRunLog asRun;
  private final ZoneId zone;
  private final Clock clock;

  EmergencyService(
      RedisHandle redis,
      ObjectMapper json,
      ProgramValidator validator,
      RunDispatcher runs,
      Preemption preemption,
      DispatchPort dispatch,
      AsRunLog asRun,
      ZoneId zone,
      Clock clock) {
    this.redis = redis;
    this.json = json;
    this.validator = validator;
    this.runs = runs;
    this.preemption = preemption;
    this.dispatch = dispatch;
    this.asRun = asRun;
    this.zone = zone;
    this.clock = clock;
  }

  private String key(String id) {
    return redis.key("emergency:" + id);
  }

  /** Validates and plays now; nothing is stored or played when a field is refused. */
  public Emergency start(EmergencyRequest req) {
    if (req == null) {
      throw new InvalidInputException(null, "expected an emergency: title, areas, clipId");
    }
    String title = ProgramValidator.title(req.title());
    List<String> areas = validator.areaCodes(req.areas());
    Clip clip = validator.clip(req.clipId());
    String id = "em-" + randomId();
    Instant now = clock.instant();
    String runId = RunAudio.runId(id, now);
    long ms = clip.durationMs() == null ? 0 : clip.durationMs();
    PlayCommand command =
        new PlayCommand(
            id,
            runId,
            title,
            areas,
            now,
            Priority.EMERGENCY.json(),
            clip.renditions().get(ProgramValidator.LOUDSPEAKER).url(),
            ms);
    RunDispatcher.Outcome o = runs.playPreempting(command);
    Emergency e =
        new Emergency(
            id,
            title,
            clip.id(),
            areas,
            Priority.EMERGENCY.json(),
            Emergency.PLAYING,
            runId,
            now.atZone(zone).toOffsetDateTime(),
            command.endAt().atZone(zone).toOffsetDateTime(),
            null,
            o.delivery().targeted(),
            o.delivery().reached(),
            o.problem());
    save(e);
    asRun.record(
        id,
        title,
        e.priority(),
        areas,
        new ProgramRun(
            runId,
            e.startedAt(),
            o.played() ? clock.instant().atZone(zone).toOffsetDateTime() : null,
            e.terminalsTargeted(),
            e.terminalsReached(),
            List.of(),
            false,
            false,
            o.problem(),
            null));
    log.warn(
        "EMERGENCY {} \"{}\" playing now in {} on {} of {} terminals, until {}",
        id,
        title,
        areas,
        e.terminalsReached(),
        e.terminalsTargeted(),
        e.endsAt());
    return e;
  }

  public Optional<Emergency> find(String id) {
    if (id == null || id.isBlank()) return Optional.empty();
    String body = redis.client().get(key(id));
    if (body == null) return Optional.empty();
    try {
      return Optional.of(json.readValue(body, Emergency.class).at(clock.instant()));
    } catch (JsonProcessingException e) {
      log.warn("Emergency {} in Redis is unreadable: {}", id, e.getOriginalMessage());
      return Optional.empty();
    }
  }

  /**
   * Calls the emergency off: terminals get {@code stop} (reason {@code cancelled}). One that has
   * finished or was cancelled already is returned as it is.
   */
  public Emergency cancel(String id) {
    Emergency e =
        find(id).orElseThrow(() -> new NotFoundException("no emergency with id '" + id + "'"));
    if (!Emergency.PLAYING.equals(e.status())) return e;
    Instant now = clock.instant();
    Emergency cancelled = e.cancelled(now.atZone(zone).toOffsetDateTime());
    save(cancelled);
    preemption.release(e.runId(), e.areas(), now);
    dispatch.stop(new StopCommand(id, e.runId(), e.areas(), StopCommand.CANCELLED, now));
    asRun.interrupted(e.runId(), "cancelled at " + cancelled.cancelledAt());
    log.warn(
        "EMERGENCY {} \"{}\" cancelled; terminals in {} told to stop", id, e.title(), e.areas());
    return cancelled;
  }

  private void save(Emergency e) {
    try {
      redis.client().setex(key(e.id()), KEPT.toSeconds(), json.writeValueAsString(e));
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static String randomId() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}

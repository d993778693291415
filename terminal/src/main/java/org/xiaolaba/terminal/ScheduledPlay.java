package org.xiaolaba.terminal;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * One run of a program as the terminal keeps it: what to play, from which URL, and when. Built from
 * a {@code play} frame and stored on local disk, so the terminal plays it without the server.
 * {@code stopAt}, when set, is when a {@code stop} frame said the run must be off air.
 */
public record ScheduledPlay(
    String runId,
    String program,
    String title,
    Instant startAt,
    PlayPriority priority,
    String audioUrl,
    long durationMs,
    Instant stopAt) {

  public ScheduledPlay {
    require(runId, "runId");
    require(program, "program");
    if (startAt == null) throw new IllegalArgumentException("startAt is required");
    if (priority == null) priority = PlayPriority.NORMAL;
    require(audioUrl, "audio.url");
    if (durationMs <= 0) {
      throw new IllegalArgumentException("audio.durationMs must be positive, not " + durationMs);
    }
  }

  /**
   * Reads a {@code play} frame. Older servers send no {@code runId}; the program and its start then
   * name the run.
   */
  static ScheduledPlay fromFrame(JsonNode frame) {
    String program = frame.path("program").asText(null);
    String startText = frame.path("startAt").asText(null);
    if (startText == null) throw new IllegalArgumentException("startAt is required");
    Instant startAt;
    try {
      startAt = OffsetDateTime.parse(startText).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("startAt '" + startText + "' is not an ISO-8601 time");
    }
    String runId = frame.path("runId").asText(null);
    if (runId == null && program != null) runId = program + ":" + startAt.toEpochMilli();
    return new ScheduledPlay(
        runId,
        program,
        frame.path("title").asText(""),
        startAt,
        PlayPriority.parse(frame.path("priority").asText(null)),
        frame.path("audio").path("url").asText(null),
        frame.path("audio").path("durationMs").asLong(0),
        null);
  }

  /** The same run, to end at {@code at} (or earlier, if an earlier stop was asked for). */
  ScheduledPlay stoppingAt(Instant at) {
    if (at == null || (stopAt != null && !stopAt.isAfter(at))) return this;
    return new ScheduledPlay(runId, program, title, startAt, priority, audioUrl, durationMs, at);
  }

  /** When the audio ends if nothing stops it. */
  @JsonIgnore
  public Instant endsAt() {
    return startAt.plusMillis(durationMs);
  }

  /** When the run goes off air: the end of its audio, or its stop if that comes first. */
  @JsonIgnore
  public Instant offAirAt() {
    Instant end = endsAt();
    return stopAt != null && stopAt.isBefore(end) ? stopAt : end;
  }

  /** Whether {@code now} falls between its start and when it goes off air. */
  boolean isOnAir(Instant now) {
    return !now.isBefore(startAt) && now.isBefore(offAirAt());
  }

  /** How far into the audio {@code now} is; zero before the start. */
  Duration positionAt(Instant now) {
    return now.isAfter(startAt) ? Duration.between(startAt, now) : Duration.ZERO;
  }

  private static void require(String value, String field) {
    if (value == null || value.isBlank())
      throw new IllegalArgumentException(field + " is required");
  }
}

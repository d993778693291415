package org.xiaolaba.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.HexFormat;
import java.util.List;

/**
 * A program as kept in Redis (JSON at {@code program:<id>}): what was validated, without anything
 * derived from "now". New fields must be optional so older records still read.
 *
 * @param durationMs the clip's length when the program was created (null for a bulletin or an older
 *     record), used to tell whether play windows overlap
 * @param updatedAt when the program was last changed in place (null: never); its runs before then
 *     were another rule's, so they are never caught up as misfires
 */
record StoredProgram(
    String id,
    String title,
    String clipId,
    String source,
    List<String> areas,
    String priority,
    String timezone,
    Schedule schedule,
    String startDate,
    String endDate,
    Long durationMs,
    Instant createdAt,
    Instant updatedAt) {

  static final String BULLETIN = "bulletin";

  /** A program never changed since it was created. */
  StoredProgram(
      String id,
      String title,
      String clipId,
      String source,
      List<String> areas,
      String priority,
      String timezone,
      Schedule schedule,
      String startDate,
      String endDate,
      Long durationMs,
      Instant createdAt) {
    this(
        id,
        title,
        clipId,
        source,
        areas,
        priority,
        timezone,
        schedule,
        startDate,
        endDate,
        durationMs,
        createdAt,
        null);
  }

  /** Since when the program has had its present rule: its last change, else its creation. */
  Instant since() {
    return updatedAt != null && updatedAt.isAfter(createdAt) ? updatedAt : createdAt;
  }

  /**
   * How long a bulletin program is assumed to play when checking conflicts and quiet hours: its
   * audio is assembled each morning, so its length is unknown when the program is created. Ten
   * minutes covers a village's usual digest of a handful of items.
   */
  static final Duration ASSUMED_BULLETIN_LENGTH = Duration.ofMinutes(10);

  ZoneId zone() {
    return ZoneId.of(timezone);
  }

  boolean isBulletin() {
    return BULLETIN.equals(source);
  }

  Priority rank() {
    return Priority.parse(priority).orElse(Priority.NORMAL);
  }

  /** How long one run plays, as far as is known when scheduling. */
  Duration playLength() {
    if (isBulletin() || durationMs == null) return ASSUMED_BULLETIN_LENGTH;
    return Duration.ofMillis(durationMs);
  }

  /** The rule, bounded by the start and end dates; stored schedules were validated. */
  ProgramRule rule() {
    ProgramRule rule = ProgramRule.parse(schedule, zone());
    if (startDate == null && endDate == null) return rule;
    return new ProgramRule.Bounded(
        rule,
        startDate == null ? null : LocalDate.parse(startDate),
        endDate == null ? null : LocalDate.parse(endDate));
  }

  Program view(Instant now, int nextRunsShown) {
    ZoneId zone = zone();
    List<OffsetDateTime> next =
        rule().nextRunsAfter(now, nextRunsShown).stream()
            .map(i -> i.atZone(zone).toOffsetDateTime())
            .toList();
    return new Program(
        id, title, clipId, source, areas, priority, timezone, schedule, startDate, endDate,
        createdAt, updatedAt, next, version());
  }

  private static final ObjectMapper VERSION_JSON = Json.mapper();

  /**
   * A name for this exact content (the API's {@code ETag}): any change gives another, and two nodes
   * name the same program alike.
   */
  String version() {
    try {
      byte[] json = VERSION_JSON.writeValueAsBytes(this);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json), 0, 8);
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot name the version of program " + id, e);
    }
  }
}

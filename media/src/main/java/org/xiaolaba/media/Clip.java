package org.xiaolaba.media;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;

/** An uploaded clip as the API shows it: its status, progress, duration, loudness, renditions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Clip(
    String id,
    String title,
    ClipStatus status,
    String error,
    String stage,
    int progress,
    Long durationMs,
    Loudness loudness,
    Map<String, Rendition> renditions,
    String contentHash,
    Instant createdAt,
    Instant updatedAt) {}

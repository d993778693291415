package org.xiaolaba.server.push;

import java.time.Instant;
import java.util.List;

/**
 * A push's delivery report: how many channel histories it was written to, how many live subscribers
 * it was handed to when sent (all nodes), and how many acknowledged it.
 */
public record PushReport(
    String id,
    String kind,
    String title,
    List<String> areas,
    List<String> terminals,
    Instant createdAt,
    long messagesWritten,
    long subscribersOnline,
    long acknowledged) {}

package org.xiaolaba.scheduler;

import java.util.List;

/**
 * A message for the app residents of some areas (areas cover their descendants), handed to {@link
 * DispatchPort#push}. {@code kind} is {@code bulletin}, {@code policy}, {@code notice} or {@code
 * news}; {@code audioUrl} is the app rendition, or null.
 */
public record PushCommand(
    List<String> areas, String kind, String title, String body, String audioUrl) {}

package org.xiaolaba.scheduler;

import java.util.List;

/**
 * An emergency broadcast as asked for ({@code POST /api/v1/emergency}), unchecked: the clip plays
 * at once on every terminal in the areas, over anything else.
 */
public record EmergencyRequest(String title, List<String> areas, String clipId) {
  /** The same request naming these areas: the codes authorised, which are the ones stored. */
  public EmergencyRequest withAreas(List<String> codes) {
    return new EmergencyRequest(title, codes, clipId);
  }
}

package org.xiaolaba.server.push;

import java.util.List;

/**
 * {@code POST /api/v1/pushes}: a message for the app residents of some areas, and/or for some
 * loudspeaker terminals on their personal channels ({@code terminal:ID}).
 */
public record PushRequest(
    List<String> areas,
    String kind,
    String title,
    String body,
    String clipId,
    List<String> terminals) {
  /** The same request naming these areas: the codes authorised, which are the ones stored. */
  public PushRequest withAreas(List<String> codes) {
    return new PushRequest(codes, kind, title, body, clipId, terminals);
  }

  /** A push to the residents of {@code areas}. */
  public static PushRequest toAreas(
      List<String> areas, String kind, String title, String body, String clipId) {
    return new PushRequest(areas, kind, title, body, clipId, null);
  }

  public List<String> areasOrNone() {
    return areas == null ? List.of() : areas;
  }

  public List<String> terminalsOrNone() {
    return terminals == null ? List.of() : terminals;
  }
}

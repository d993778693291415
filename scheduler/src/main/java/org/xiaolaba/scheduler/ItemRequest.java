package org.xiaolaba.scheduler;

import java.util.List;

/**
 * An item as an editor writes it ({@code POST /api/v1/items}, {@code PUT /api/v1/items/{id}}),
 * unchecked: {@link ItemService} validates every field and names the one at fault.
 *
 * @param kind {@code policy}, {@code notice} or {@code news}
 * @param date the day it belongs to, {@code yyyy-MM-dd}
 * @param clipId optional audio read out in the bulletin
 */
public record ItemRequest(
    String kind, String title, String body, List<String> areas, String date, String clipId) {
  /** The same request naming these areas: the codes authorised, which are the ones stored. */
  public ItemRequest withAreas(List<String> codes) {
    return new ItemRequest(kind, title, body, codes, date, clipId);
  }
}

package org.xiaolaba.scheduler;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * A policy notice, news item or announcement written by an editor for some areas and a day. {@code
 * version} grows with every change; updates are compare-and-set on it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Item(
    String id,
    ItemKind kind,
    String title,
    String body,
    List<String> areas,
    LocalDate date,
    String clipId,
    ItemState state,
    String author,
    Instant createdAt,
    Instant updatedAt,
    Instant approvedAt,
    int version) {

  Item withState(ItemState next, Instant at) {
    return new Item(
        id,
        kind,
        title,
        body,
        areas,
        date,
        clipId,
        next,
        author,
        createdAt,
        at,
        next == ItemState.APPROVED ? at : approvedAt,
        version + 1);
  }

  Item edited(
      ItemKind k, String t, String b, List<String> a, LocalDate d, String clip, Instant at) {
    return new Item(id, k, t, b, a, d, clip, state, author, createdAt, at, approvedAt, version + 1);
  }
}

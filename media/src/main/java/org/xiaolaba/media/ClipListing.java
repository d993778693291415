package org.xiaolaba.media;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xiaolaba.config.errors.InvalidInputException;
import redis.clients.jedis.resps.Tuple;

/**
 * The clip listing, newest first, from the {@code clips:created} index. A page ends at a cursor,
 * {@code <created epoch ms>.<id>}, the last clip it holds: the next page starts just after it, so
 * clips created in the same millisecond (ordered by id, descending) are neither skipped nor
 * repeated and a clip added meanwhile does not shift the pages.
 */
final class ClipListing {
  static final int MAX_LIMIT = 200;

  /** Index entries read per round trip beyond the page size, when a status filter drops some. */
  private static final int READ_AHEAD = 50;

  private static final Pattern CURSOR = Pattern.compile("(\\d{1,15})\\.([A-Za-z0-9_-]{12})");

  private final ClipStore store;

  ClipListing(ClipStore store) {
    this.store = store;
  }

  /** Where a page starts: clips created before {@code millis}, or at it with a smaller id. */
  private record Position(long millis, String id) {
    boolean isAfter(Tuple entry) {
      long score = (long) entry.getScore();
      return score < millis || (score == millis && entry.getElement().compareTo(id) < 0);
    }
  }

  ClipPage page(int limit, String cursor, Instant before, ClipStatus status) {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidInputException(
          "limit", "limit must be between 1 and " + MAX_LIMIT + "; got " + limit);
    }
    if (cursor != null && before != null) {
      throw new InvalidInputException("before", "give either cursor or before, not both");
    }
    Position from = position(cursor, before);
    List<Clip> out = new ArrayList<>(limit);
    boolean more = false;
    int offset = 0;
    reading:
    while (true) {
      // one more than the page, so that a last page is known to be the last
      int want = limit + 1 + (status == null ? 0 : READ_AHEAD);
      List<Tuple> entries = store.newestAtOrBefore(from.millis(), offset, want);
      offset += entries.size();
      List<String> ids = entries.stream().filter(from::isAfter).map(Tuple::getElement).toList();
      for (Clip c : store.getAll(ids)) {
        if (status != null && c.status() != status) continue;
        if (out.size() == limit) {
          more = true;
          break reading;
        }
        out.add(c);
      }
      if (entries.size() < want) break;
    }
    if (!more) return new ClipPage(List.copyOf(out), null);
    Clip last = out.get(out.size() - 1);
    return new ClipPage(List.copyOf(out), millis(last) + "." + last.id());
  }

  private static long millis(Clip c) {
    return c.createdAt() == null ? 0 : c.createdAt().toEpochMilli();
  }

  private static Position position(String cursor, Instant before) {
    if (before != null) return new Position(before.toEpochMilli(), "");
    if (cursor == null) return new Position(Long.MAX_VALUE / 2, "");
    Matcher m = CURSOR.matcher(cursor);
    if (!m.matches()) {
      throw new InvalidInputException(
          "cursor", "not a cursor of this listing: pass back the nextCursor of the page before");
    }
    return new Position(Long.parseLong(m.group(1)), m.group(2));
  }
}

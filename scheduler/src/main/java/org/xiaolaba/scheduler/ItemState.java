package org.xiaolaba.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xiaolaba.config.errors.ConflictException;

/**
 * Where an item is in its life. The transitions allowed are in one table, {@link #NEXT}: a draft
 * may be approved or withdrawn, an approved item may be withdrawn, a withdrawn item is final. Only
 * approved items enter a bulletin; only drafts can be edited or deleted.
 */
public enum ItemState {
  DRAFT,
  APPROVED,
  WITHDRAWN;

  private static final Map<ItemState, Set<ItemState>> NEXT =
      Map.of(
          DRAFT, EnumSet.of(APPROVED, WITHDRAWN),
          APPROVED, EnumSet.of(WITHDRAWN),
          WITHDRAWN, EnumSet.noneOf(ItemState.class));

  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean canBecome(ItemState next) {
    return NEXT.get(this).contains(next);
  }

  /** Throws 409 naming both states when the move is not in the table. */
  public void requireCanBecome(ItemState next, String itemId) {
    if (!canBecome(next)) {
      throw new ConflictException(
          "item " + itemId + " is " + json() + " and cannot become " + next.json(),
          java.util.List.of(itemId));
    }
  }
}

package org.xiaolaba.server.auth;

import java.util.List;
import java.util.function.Function;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.server.http.ApiException;

/**
 * Area scoping: a token reaches the areas it names and everything below them; admins reach all. To
 * change something, the token must cover every area it names ({@link #require}). To read it, the
 * thing must concern the token's areas ({@link #requireConcerns}): lie within them, or above them
 * (a county-wide program also plays in each village).
 */
public final class AreaAccess {
  private final AreaTree areas;

  public AreaAccess(AreaTree areas) {
    this.areas = areas;
  }

  /** Throws 403 naming the first requested area the principal does not cover. */
  public void require(Principal p, List<String> requested) {
    if (p == null || p.role() == Role.ADMIN || requested == null) return;
    for (String code : requested) {
      if (areas.contains(code) && !areas.coversAny(p.areas(), code)) {
        throw ApiException.forbidden("this token covers " + p.areas() + ", not area " + code);
      }
    }
  }

  /** True when something in these areas is the principal's business (see the class comment). */
  public boolean concerns(Principal p, List<String> targeted) {
    if (p == null || p.role() == Role.ADMIN) return true;
    if (targeted == null) return false;
    for (String code : targeted) {
      for (String own : p.areas()) {
        if (areas.covers(own, code) || areas.covers(code, own)) return true;
      }
    }
    return false;
  }

  /** Throws 403 when something in these areas is none of the principal's business. */
  public void requireConcerns(Principal p, List<String> targeted, String what) {
    if (!concerns(p, targeted)) {
      throw ApiException.forbidden(
          "this token covers " + p.areas() + "; " + what + " is for areas " + targeted);
    }
  }

  /** The items of a list that concern the principal. */
  public <T> List<T> visible(Principal p, List<T> all, Function<T, List<String>> areasOf) {
    if (p == null || p.role() == Role.ADMIN) return all;
    return all.stream().filter(t -> concerns(p, areasOf.apply(t))).toList();
  }
}

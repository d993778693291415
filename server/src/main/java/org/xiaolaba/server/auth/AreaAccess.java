package org.xiaolaba.server.auth;

import java.util.List;
import java.util.function.Function;
import org.xiaolaba.config.AreaCodes;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.server.http.ApiException;

/**
 * Area scoping: a token reaches the areas it names and everything below them; admins reach all. To
 * change something, the token must cover every area it names ({@link #require}). To read it, the
 * thing must concern the token's areas ({@link #requireConcerns}): lie within them, or above them
 * (a county-wide program also plays in each village). Codes a request names are normalised and
 * checked before they are authorised ({@link #authorise}), and what is authorised is what is
 * stored.
 */
public final class AreaAccess {
  private final AreaTree areas;

  public AreaAccess(AreaTree areas) {
    this.areas = areas;
  }

  /**
   * Normalises and checks the codes a request names (400 naming the first that is not an area of
   * the tree, before any scope decision), then requires the principal to cover every one (403).
   * Returns the codes to store: these, and no others, were authorised.
   */
  public List<String> authorise(Principal p, List<String> requested, String field) {
    List<String> codes = AreaCodes.parse(areas, requested, field);
    require(p, codes);
    return codes;
  }

  /** {@link #authorise} for a single code. */
  public String authoriseOne(Principal p, String requested, String field) {
    String code = AreaCodes.parseOne(areas, requested, field);
    require(p, List.of(code));
    return code;
  }

  /** A code a read names (a filter), normalised and checked: 400 naming it when unknown. */
  public String parseOne(String raw, String field) {
    return AreaCodes.parseOne(areas, raw, field);
  }

  /**
   * Throws 403 naming the first of these codes (stored ones, or ones {@link #authorise} returned)
   * the principal does not cover. Nothing is skipped: a code no longer in the tree is covered by
   * admins only, and no principal at all is a 401.
   */
  public void require(Principal p, List<String> codes) {
    if (p == null) throw ApiException.unauthorized("this needs a token (Authorization: Bearer)");
    if (p.role() == Role.ADMIN) return;
    if (codes == null || codes.isEmpty()) {
      throw ApiException.forbidden("this names no area; only an admin may act on it");
    }
    for (String code : codes) {
      if (!areas.contains(code)) {
        throw ApiException.forbidden(
            "area " + code + " is not in the area tree; only an admin may act on it");
      }
      if (!areas.coversAny(p.areas(), code)) {
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

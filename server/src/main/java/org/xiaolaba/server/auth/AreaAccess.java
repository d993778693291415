package org.xiaolaba.server.auth;

import java.util.List;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.server.http.ApiException;

/** Area scoping: a token reaches the areas it names and everything below them; admins reach all. */
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
}

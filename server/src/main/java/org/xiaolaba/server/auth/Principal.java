package org.xiaolaba.server.auth;

import java.time.Instant;
import java.util.List;

/**
 * Who made a request: the token's id (never its secret), role, name and the areas it covers. An
 * admin covers the whole county.
 */
public record Principal(String id, Role role, String name, List<String> areas, Instant createdAt) {
  public boolean is(Role r) {
    return role == r;
  }
}

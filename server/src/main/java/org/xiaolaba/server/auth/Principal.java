package org.xiaolaba.server.auth;

import java.time.Instant;
import java.util.List;

/**
 * Who made a request: the token's id (never its secret), role, name, the areas it covers and the
 * permissions it was given. An admin covers the whole county and has every permission.
 */
public record Principal(
    String id,
    Role role,
    String name,
    List<String> areas,
    Instant createdAt,
    List<Permission> permissions) {
  public Principal {
    // Token records written before permissions existed have none.
    permissions = permissions == null ? List.of() : List.copyOf(permissions);
  }

  /** A principal with no permission beyond its role. */
  public Principal(String id, Role role, String name, List<String> areas, Instant createdAt) {
    this(id, role, name, areas, createdAt, List.of());
  }

  public boolean is(Role r) {
    return role == r;
  }

  /** True for admins, and for tokens created with {@code permission}. */
  public boolean has(Permission permission) {
    return role == Role.ADMIN || permissions.contains(permission);
  }
}

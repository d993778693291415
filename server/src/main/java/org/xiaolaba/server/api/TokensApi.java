package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xiaolaba.config.AreaCodes;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.server.auth.Permission;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.auth.TokenStore;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * Admins hand out tokens for editors, broadcasters and terminals, list them (never their secrets)
 * and revoke them.
 */
public final class TokensApi {
  private final TokenStore tokens;
  private final AreaTree areas;

  /** {@code POST /api/v1/tokens} body; {@code permissions} may be left out (none). */
  public record TokenRequest(
      Role role, String name, List<String> areas, List<Permission> permissions) {}

  public TokensApi(TokenStore tokens, AreaTree areas) {
    this.tokens = tokens;
    this.areas = areas;
  }

  public void register(Router router) {
    router
        .add(Route.of(HttpMethod.POST, "/api/v1/tokens", Route.Body.JSON, this::create))
        .add(Route.of(HttpMethod.GET, "/api/v1/tokens", Route.Body.NONE, this::list))
        .add(Route.of(HttpMethod.DELETE, "/api/v1/tokens/{id}", Route.Body.NONE, this::revoke));
  }

  private ApiResponse list(ApiRequest r) {
    return ApiResponse.ok(
        tokens.list().stream().map(l -> describe(l.principal(), l.lastUsedAt())).toList());
  }

  private ApiResponse revoke(ApiRequest r) {
    String id = r.param("id");
    if (TokenStore.BOOTSTRAP_ID.equals(id)) {
      throw new ConflictException(
          "the bootstrap admin token comes from the configuration; change admin.token"
              + " (XIAOLABA_ADMIN_TOKEN) and restart to replace it",
          List.of(id));
    }
    if (!tokens.revoke(id)) throw new NotFoundException("no token with id '" + id + "'");
    return ApiResponse.empty(HttpResponseStatus.NO_CONTENT);
  }

  private static Map<String, Object> describe(Principal p, Instant lastUsedAt) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", p.id());
    body.put("role", p.role());
    body.put("name", p.name());
    body.put("areas", p.areas());
    body.put("permissions", p.permissions());
    body.put("createdAt", p.createdAt());
    if (lastUsedAt != null) body.put("lastUsedAt", lastUsedAt);
    return body;
  }

  private ApiResponse create(ApiRequest r) {
    TokenRequest req = r.json(TokenRequest.class);
    if (req.role() == null)
      throw new InvalidInputException("role", "role is required: editor, broadcaster or terminal");
    if (req.role() == Role.ADMIN)
      throw new InvalidInputException(
          "role",
          "admin tokens come from the configuration; choose editor, broadcaster or terminal");
    if (req.name() == null || req.name().isBlank())
      throw new InvalidInputException("name", "name is required");
    if (req.name().length() > 100)
      throw new InvalidInputException("name", "name is longer than 100 characters");
    List<String> codes = AreaCodes.parse(areas, req.areas(), "areas");
    List<Permission> permissions = permissions(req.role(), req.permissions());
    TokenStore.Issued issued = tokens.create(req.role(), req.name().trim(), codes, permissions);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token", issued.token());
    body.putAll(describe(issued.principal(), null));
    return ApiResponse.json(HttpResponseStatus.CREATED, body);
  }

  /** The permissions asked for, each once; refused when one does not go with the role. */
  private static List<Permission> permissions(Role role, List<Permission> asked) {
    if (asked == null) return List.of();
    Set<Permission> out = new LinkedHashSet<>();
    for (int i = 0; i < asked.size(); i++) {
      Permission p = asked.get(i);
      if (p == null) {
        throw new InvalidInputException("permissions[" + i + "]", "expected a permission name");
      }
      if (p.grantedTo() != role) {
        throw new InvalidInputException(
            "permissions[" + i + "]",
            "the '"
                + p.json()
                + "' permission is for "
                + p.grantedTo().json()
                + " tokens, not "
                + role.json()
                + " tokens");
      }
      out.add(p);
    }
    return List.copyOf(out);
  }
}

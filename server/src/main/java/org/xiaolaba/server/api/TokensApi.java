package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.auth.TokenStore;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/** Admins hand out tokens for editors, broadcasters and terminals. */
public final class TokensApi {
  private final TokenStore tokens;
  private final AreaTree areas;

  /** {@code POST /api/v1/tokens} body. */
  public record TokenRequest(Role role, String name, List<String> areas) {}

  public TokensApi(TokenStore tokens, AreaTree areas) {
    this.tokens = tokens;
    this.areas = areas;
  }

  public void register(Router router) {
    router.add(Route.of(HttpMethod.POST, "/api/v1/tokens", Route.Body.JSON, this::create));
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
    Validation.areas(areas, req.areas());
    TokenStore.Issued issued = tokens.create(req.role(), req.name().trim(), req.areas());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token", issued.token());
    body.put("id", issued.principal().id());
    body.put("role", issued.principal().role());
    body.put("name", issued.principal().name());
    body.put("areas", issued.principal().areas());
    body.put("createdAt", issued.principal().createdAt());
    return ApiResponse.json(HttpResponseStatus.CREATED, body);
  }
}

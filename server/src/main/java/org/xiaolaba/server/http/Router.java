package org.xiaolaba.server.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Matches a method and path against the route table; path segments in braces are parameters. */
public final class Router {
  private final List<Route> routes = new ArrayList<>();

  /** A matched route and the path parameters it bound. */
  public record Match(Route route, Map<String, String> params) {}

  public Router add(Route route) {
    routes.add(route);
    return this;
  }

  public List<Route> routes() {
    return List.copyOf(routes);
  }

  public Optional<Match> match(HttpMethod method, String path) {
    HttpMethod wanted = method.equals(HttpMethod.HEAD) ? HttpMethod.GET : method;
    for (Route r : routes) {
      if (!r.method().equals(wanted) && !r.method().equals(method)) continue;
      Map<String, String> params = bind(r.pattern(), path);
      if (params != null) return Optional.of(new Match(r, params));
    }
    return Optional.empty();
  }

  /** Methods allowed on a path that matched no route with the method asked for (for 405). */
  public List<String> allowedMethods(String path) {
    return routes.stream()
        .filter(r -> bind(r.pattern(), path) != null)
        .map(r -> r.method().name())
        .distinct()
        .collect(Collectors.toList());
  }

  static Map<String, String> bind(String pattern, String path) {
    String[] want = pattern.split("/", -1);
    String[] got = path.split("/", -1);
    if (want.length != got.length) return null;
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < want.length; i++) {
      String w = want[i];
      if (w.startsWith("{") && w.endsWith("}")) {
        if (got[i].isEmpty()) return null;
        params.put(w.substring(1, w.length() - 1), got[i]);
      } else if (!w.equals(got[i])) {
        return null;
      }
    }
    return params;
  }
}

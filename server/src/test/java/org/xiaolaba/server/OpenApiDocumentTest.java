package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.WebSocketUpgrade;

/**
 * The OpenAPI document served at /api/openapi.json and the router agree: every route is described,
 * nothing is described that is not served, and each operation's {@code x-roles} are the roles the
 * router lets in (public routes have neither {@code security} nor {@code x-roles}).
 */
class OpenApiDocumentTest {
  @TempDir static Path dataDir;
  static TestServer server;
  static JsonNode document;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
    HttpResponse<String> r = server.get("/api/openapi.json", null);
    assertThat(r.statusCode()).isEqualTo(200);
    document = TestServer.json(r.body());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** "GET /api/v1/clips/{id}" → the roles the router lets in (empty: public). */
  private static Map<String, Set<String>> routed() {
    Map<String, Set<String>> out = new TreeMap<>();
    for (Route r : server.routes()) {
      Set<String> roles = new TreeSet<>();
      r.roles().forEach(role -> roles.add(role.json()));
      out.put(r.method().name() + " " + r.pattern(), roles);
    }
    return out;
  }

  /** The same from the document; HEAD of a GET route and the WebSocket upgrade are not routes. */
  private static Map<String, Set<String>> documented(Map<String, Set<String>> routed) {
    Map<String, Set<String>> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields();
        paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
        Map.Entry<String, JsonNode> op = ops.next();
        String method = op.getKey().toUpperCase();
        if (method.equals("HEAD") && routed.containsKey("GET " + path.getKey())) continue;
        if (method.equals("GET") && path.getKey().equals(WebSocketUpgrade.PATH)) continue;
        Set<String> roles = new TreeSet<>();
        op.getValue().path("x-roles").forEach(n -> roles.add(n.asText()));
        out.put(method + " " + path.getKey(), roles);
      }
    }
    return out;
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
    Map<String, Set<String>> routed = routed();
    Map<String, Set<String>> documented = documented(routed);
    assertThat(documented.keySet())
        .as("operations in openapi.json that no route serves")
        .isSubsetOf(routed.keySet());
    assertThat(routed.keySet())
        .as("routes missing from openapi.json")
        .isSubsetOf(documented.keySet());
  }

  @Test
  void theDocumentedRolesAreTheRolesTheRouterLetsIn() {
    Map<String, Set<String>> routed = routed();
    Map<String, Set<String>> documented = documented(routed);
    // Operations on one side only are the test above's to report.
    documented.keySet().retainAll(routed.keySet());
    routed.keySet().retainAll(documented.keySet());
    assertThat(documented).isEqualTo(routed);
  }

  @Test
  void exactlyTheProtectedOperationsAskForABearerToken() {
    for (Route r : server.routes()) {
      JsonNode op = document.path("paths").path(r.pattern()).path(r.method().name().toLowerCase());
      assertThat(op.has("security"))
          .as(r.method() + " " + r.pattern() + " has security")
          .isEqualTo(!r.isPublic());
      if (!r.isPublic()) {
        assertThat(op.path("x-roles").toString()).contains(Role.ADMIN.json());
        assertThat(op.path("responses").has("401")).as(r.pattern() + " documents 401").isTrue();
        if (r.roles().size() < Role.values().length) {
          assertThat(op.path("responses").has("403")).as(r.pattern() + " documents 403").isTrue();
        }
      }
      if (r.body() == Route.Body.JSON) {
        assertThat(op.path("responses").has("413")).as(r.pattern() + " documents 413").isTrue();
      }
    }
  }
}

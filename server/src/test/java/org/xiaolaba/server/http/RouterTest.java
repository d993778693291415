package org.xiaolaba.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {
  private final Router router =
      new Router()
          .add(Route.publicRoute(HttpMethod.GET, "/api/v1/clips/{id}", r -> null))
          .add(Route.publicRoute(HttpMethod.GET, "/api/v1/programs/{id}/runs", r -> null))
          .add(Route.publicRoute(HttpMethod.POST, "/api/v1/clips", r -> null));

  @Test
  void pathParametersAreBoundByName() {
    assertThat(router.match(HttpMethod.GET, "/api/v1/programs/p1/runs").orElseThrow().params())
        .isEqualTo(Map.of("id", "p1"));
  }

  @Test
  void headMatchesGetRoutes() {
    assertThat(router.match(HttpMethod.HEAD, "/api/v1/clips/c1")).isPresent();
  }

  @Test
  void anEmptySegmentDoesNotBindAParameter() {
    assertThat(router.match(HttpMethod.GET, "/api/v1/clips/")).isEmpty();
  }

  @Test
  void aKnownPathWithAnotherMethodListsTheAllowedMethods() {
    assertThat(router.match(HttpMethod.DELETE, "/api/v1/clips")).isEmpty();
    assertThat(router.allowedMethods("/api/v1/clips")).containsExactly("POST");
    assertThat(router.allowedMethods("/nowhere")).isEmpty();
  }
}

package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpMethod;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/** The area tree, public so residents' apps can offer a village to subscribe to. */
public final class AreasApi {
  private final AreaTree areas;

  public AreasApi(AreaTree areas) {
    this.areas = areas;
  }

  public void register(Router router) {
    router.add(
        Route.publicRoute(HttpMethod.GET, "/api/v1/areas", r -> ApiResponse.ok(areas.root())));
  }
}

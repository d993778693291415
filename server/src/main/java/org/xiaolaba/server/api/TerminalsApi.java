package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpMethod;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;
import org.xiaolaba.server.push.TerminalPresence;

/** The board of loudspeaker terminals: online, last seen, state, now playing. */
public final class TerminalsApi {
  private final TerminalPresence presence;

  public TerminalsApi(TerminalPresence presence) {
    this.presence = presence;
  }

  public void register(Router router) {
    router.add(
        Route.of(
            HttpMethod.GET,
            "/api/v1/terminals",
            Route.Body.NONE,
            r -> ApiResponse.ok(presence.all()),
            Role.BROADCASTER,
            Role.EDITOR));
  }
}

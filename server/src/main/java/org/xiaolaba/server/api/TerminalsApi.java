package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpMethod;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;
import org.xiaolaba.server.push.TerminalPresence;

/**
 * The board of loudspeaker terminals in the caller's areas: online, last seen, state, now playing.
 */
public final class TerminalsApi {
  private final TerminalPresence presence;
  private final AreaAccess access;

  public TerminalsApi(TerminalPresence presence, AreaAccess access) {
    this.presence = presence;
    this.access = access;
  }

  public void register(Router router) {
    router.add(
        Route.of(
            HttpMethod.GET,
            "/api/v1/terminals",
            Route.Body.NONE,
            r ->
                ApiResponse.ok(
                    access.visible(
                        r.principal(), presence.all(), TerminalPresence.Terminal::areas)),
            Role.BROADCASTER,
            Role.EDITOR));
  }
}

package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * What clients of the push hub need besides the WebSocket: the JavaScript client ({@code GET
 * /client.js}) and the server's clock ({@code GET /api/v1/time}), against which terminals measure
 * their clock offset.
 */
public final class ClientSupportApi {
  static final String SCRIPT_TYPE = "text/javascript; charset=utf-8";

  private final Clock clock;
  private final byte[] script = resource("/client/xiaolaba-client.js");

  public ClientSupportApi(Clock clock) {
    this.clock = clock;
  }

  public void register(Router router) {
    router
        .add(
            Route.publicRoute(
                HttpMethod.GET,
                "/client.js",
                r ->
                    ApiResponse.bytes(HttpResponseStatus.OK, SCRIPT_TYPE, script)
                        // Not immutable: a new server version may ship a new client.
                        .header(HttpHeaderNames.CACHE_CONTROL, "public, max-age=300")))
        .add(
            Route.publicRoute(
                HttpMethod.GET,
                "/api/v1/time",
                r ->
                    ApiResponse.ok(Map.of("now", clock.instant().toString()))
                        .header(HttpHeaderNames.CACHE_CONTROL, "no-store")));
  }

  private static byte[] resource(String name) {
    try (InputStream in = ClientSupportApi.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

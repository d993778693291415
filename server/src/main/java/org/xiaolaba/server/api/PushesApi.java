package org.xiaolaba.server.api;

import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.media.Clip;
import org.xiaolaba.media.ClipLibrary;
import org.xiaolaba.media.ClipStatus;
import org.xiaolaba.media.Rendition;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.ClientThrottle;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;
import org.xiaolaba.server.push.PushHub;
import org.xiaolaba.server.push.PushReport;
import org.xiaolaba.server.push.PushRequest;
import org.xiaolaba.server.push.TerminalPresence;

/** Editors push notices and news to the app residents of their areas. */
public final class PushesApi {
  private final PushHub hub;
  private final ClipLibrary clips;
  private final AreaAccess access;
  private final TerminalPresence presence;
  private final Timer published;

  public PushesApi(
      PushHub hub,
      ClipLibrary clips,
      AreaAccess access,
      TerminalPresence presence,
      Timer published) {
    this.hub = hub;
    this.published = published;
    this.presence = presence;
    this.clips = clips;
    this.access = access;
  }

  public void register(Router router) {
    router
        .add(
            Route.of(HttpMethod.POST, "/api/v1/pushes", Route.Body.JSON, this::create, Role.EDITOR)
                .throttled(ClientThrottle.Kind.PUSH))
        .add(
            Route.of(
                HttpMethod.GET, "/api/v1/pushes/{id}", Route.Body.NONE, this::get, Role.EDITOR));
  }

  private ApiResponse create(ApiRequest r) {
    PushRequest sent = r.json(PushRequest.class);
    PushRequest req =
        sent.terminalsOrNone().isEmpty() || sent.areas() != null
            ? sent.withAreas(access.authorise(r.principal(), sent.areas(), "areas"))
            : sent;
    for (int i = 0; i < req.terminalsOrNone().size(); i++) {
      String id = req.terminalsOrNone().get(i);
      String field = "terminals[" + i + "]";
      TerminalPresence.Terminal t =
          presence
              .find(id)
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          field, "unknown terminal '" + id + "' (it has never connected)"));
      access.require(r.principal(), t.areas());
    }
    String audioUrl = null;
    if (req.clipId() != null) {
      Clip clip =
          clips
              .find(req.clipId())
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          "clipId", "no clip with id '" + req.clipId() + "'"));
      Rendition app = clip.renditions() == null ? null : clip.renditions().get("app");
      if (clip.status() != ClipStatus.READY || app == null) {
        throw new InvalidInputException(
            "clipId", "clip '" + req.clipId() + "' is " + clip.status().json() + ", not ready");
      }
      audioUrl = app.url();
    }
    String url = audioUrl;
    String id = published.record(() -> hub.publish(req, url));
    return ApiResponse.json(HttpResponseStatus.ACCEPTED, Map.of("id", id))
        .header(HttpHeaderNames.LOCATION, "/api/v1/pushes/" + id);
  }

  private ApiResponse get(ApiRequest r) {
    String id = r.param("id");
    PushReport report =
        hub.report(id).orElseThrow(() -> new NotFoundException("no push with id '" + id + "'"));
    List<String> reached = new ArrayList<>(report.areas());
    for (String terminal : report.terminals()) {
      presence.find(terminal).ifPresent(t -> reached.addAll(t.areas()));
    }
    access.requireConcerns(r.principal(), reached, "push " + id);
    return ApiResponse.ok(report);
  }
}

package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.scheduler.Emergency;
import org.xiaolaba.scheduler.EmergencyRequest;
import org.xiaolaba.scheduler.EmergencyService;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.Permission;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * Emergency broadcasts: admins and broadcasters play a clip now on every terminal in their areas,
 * over anything else, and call it off.
 */
public final class EmergencyApi {
  private final EmergencyService emergencies;
  private final AreaAccess access;

  public EmergencyApi(EmergencyService emergencies, AreaAccess access) {
    this.emergencies = emergencies;
    this.access = access;
  }

  public void register(Router router) {
    router
        .add(
            Route.of(
                HttpMethod.POST,
                "/api/v1/emergency",
                Route.Body.JSON,
                this::start,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/emergency/{id}",
                Route.Body.NONE,
                this::get,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.DELETE,
                "/api/v1/emergency/{id}",
                Route.Body.NONE,
                this::cancel,
                Role.BROADCASTER));
  }

  private ApiResponse start(ApiRequest r) {
    EmergencyRequest sent = r.json(EmergencyRequest.class);
    EmergencyRequest req = sent.withAreas(access.authorise(r.principal(), sent.areas(), "areas"));
    Permission.EMERGENCY.requireOf(r.principal(), "an emergency broadcast");
    Emergency e = emergencies.start(req);
    return ApiResponse.json(HttpResponseStatus.CREATED, e)
        .header(HttpHeaderNames.LOCATION, "/api/v1/emergency/" + e.id());
  }

  private ApiResponse get(ApiRequest r) {
    Emergency e = find(r.param("id"));
    access.requireConcerns(r.principal(), e.areas(), "emergency " + e.id());
    return ApiResponse.ok(e);
  }

  /** Calls it off; answers the emergency as it now stands ({@code cancelled}, or as it was). */
  private ApiResponse cancel(ApiRequest r) {
    Emergency e = find(r.param("id"));
    access.require(r.principal(), e.areas());
    Permission.EMERGENCY.requireOf(r.principal(), "calling off an emergency broadcast");
    return ApiResponse.ok(emergencies.cancel(e.id()));
  }

  private Emergency find(String id) {
    return emergencies
        .find(id)
        .orElseThrow(() -> new NotFoundException("no emergency with id '" + id + "'"));
  }
}

package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.scheduler.Program;
import org.xiaolaba.scheduler.ProgramRequest;
import org.xiaolaba.scheduler.ProgramService;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/** Village broadcasters schedule programs for the areas their token covers. */
public final class ProgramsApi {
  private final ProgramService programs;
  private final AreaAccess access;

  public ProgramsApi(ProgramService programs, AreaAccess access) {
    this.programs = programs;
    this.access = access;
  }

  public void register(Router router) {
    router
        .add(
            Route.of(
                HttpMethod.POST,
                "/api/v1/programs",
                Route.Body.JSON,
                this::create,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/programs",
                Route.Body.NONE,
                this::list,
                Role.BROADCASTER,
                Role.EDITOR))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/programs/{id}",
                Route.Body.NONE,
                this::get,
                Role.BROADCASTER,
                Role.EDITOR))
        .add(
            Route.of(
                HttpMethod.DELETE,
                "/api/v1/programs/{id}",
                Route.Body.NONE,
                this::delete,
                Role.BROADCASTER))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/programs/{id}/runs",
                Route.Body.NONE,
                this::runs,
                Role.BROADCASTER,
                Role.EDITOR));
  }

  private ApiResponse create(ApiRequest r) {
    ProgramRequest req = r.json(ProgramRequest.class);
    access.require(r.principal(), req.areas());
    Program p = programs.create(req);
    return ApiResponse.json(HttpResponseStatus.CREATED, p)
        .header(HttpHeaderNames.LOCATION, "/api/v1/programs/" + p.id());
  }

  private ApiResponse list(ApiRequest r) {
    List<Program> all = programs.list();
    return ApiResponse.ok(all);
  }

  private ApiResponse get(ApiRequest r) {
    return ApiResponse.ok(find(r.param("id")));
  }

  private ApiResponse delete(ApiRequest r) {
    Program p = find(r.param("id"));
    access.require(r.principal(), p.areas());
    programs.delete(p.id());
    return ApiResponse.empty(HttpResponseStatus.NO_CONTENT);
  }

  private ApiResponse runs(ApiRequest r) {
    return ApiResponse.ok(programs.runs(find(r.param("id")).id()));
  }

  private Program find(String id) {
    return programs
        .find(id)
        .orElseThrow(() -> new NotFoundException("no program with id '" + id + "'"));
  }
}

package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.scheduler.AsRunEntry;
import org.xiaolaba.scheduler.Priority;
import org.xiaolaba.scheduler.Program;
import org.xiaolaba.scheduler.ProgramRequest;
import org.xiaolaba.scheduler.ProgramService;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.Permission;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;
import org.xiaolaba.server.http.Versions;

/**
 * Village broadcasters schedule programs for the areas their token covers, change and delete them,
 * and read what was played: per program, and per area and day for compliance.
 */
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
                HttpMethod.PUT,
                "/api/v1/programs/{id}",
                Route.Body.JSON,
                this::update,
                Role.BROADCASTER))
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
                Role.EDITOR))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/asrun",
                Route.Body.NONE,
                this::asRun,
                Role.BROADCASTER,
                Role.EDITOR));
  }

  private ApiResponse create(ApiRequest r) {
    ProgramRequest req = authorised(r, r.json(ProgramRequest.class));
    Program p = programs.create(req);
    return ApiResponse.json(HttpResponseStatus.CREATED, p)
        .header(HttpHeaderNames.LOCATION, "/api/v1/programs/" + p.id())
        .header(HttpHeaderNames.ETAG, Versions.tag(p.version()));
  }

  private ApiResponse list(ApiRequest r) {
    return ApiResponse.ok(access.visible(r.principal(), programs.list(), Program::areas));
  }

  private ApiResponse get(ApiRequest r) {
    Program p = readable(r);
    return ApiResponse.ok(p).header(HttpHeaderNames.ETAG, Versions.tag(p.version()));
  }

  /** The program, when it concerns the caller's areas. */
  private Program readable(ApiRequest r) {
    Program p = find(r.param("id"));
    access.requireConcerns(r.principal(), p.areas(), "program " + p.id());
    return p;
  }

  /**
   * Changes the program in place (same id): the caller's token must cover its areas, before and
   * after. Refused like a new program (400, 409 naming the others), or 412 when {@code If-Match}
   * names a version that is no longer the stored one; then nothing changes.
   */
  private ApiResponse update(ApiRequest r) {
    Program p = owned(r);
    ProgramRequest req = authorised(r, r.json(ProgramRequest.class));
    Program changed = programs.update(p.id(), req, Versions.ifMatch(r));
    return ApiResponse.ok(changed).header(HttpHeaderNames.ETAG, Versions.tag(changed.version()));
  }

  /**
   * The request as it will be stored: its areas normalised, checked and covered by the caller's
   * token, and its priority allowed (emergency needs the permission).
   */
  private ProgramRequest authorised(ApiRequest r, ProgramRequest sent) {
    ProgramRequest req = sent.withAreas(access.authorise(r.principal(), sent.areas(), "areas"));
    if (Priority.parse(req.priority()).orElse(null) == Priority.EMERGENCY) {
      Permission.EMERGENCY.requireOf(r.principal(), "a program of priority emergency");
    }
    return req;
  }

  /** The program, when the caller may change it: its token covers its areas (and priority). */
  private Program owned(ApiRequest r) {
    Program p = find(r.param("id"));
    access.require(r.principal(), p.areas());
    if (Priority.EMERGENCY.json().equals(p.priority())) {
      Permission.EMERGENCY.requireOf(r.principal(), "changing a program of priority emergency");
    }
    return p;
  }

  private ApiResponse delete(ApiRequest r) {
    Program p = owned(r);
    programs.delete(p.id());
    return ApiResponse.empty(HttpResponseStatus.NO_CONTENT);
  }

  private ApiResponse runs(ApiRequest r) {
    return ApiResponse.ok(programs.runs(readable(r).id()));
  }

  /** An area's day log: JSON, or CSV with {@code Accept: text/csv} or {@code format=csv}. */
  private ApiResponse asRun(ApiRequest r) {
    String area =
        access.authoriseOne(
            r.principal(),
            r.queryParam("area")
                .orElseThrow(() -> new InvalidInputException("area", "an area code is required")),
            "area");
    String dateText =
        r.queryParam("date")
            .orElseThrow(() -> new InvalidInputException("date", "a date yyyy-MM-dd is required"));
    LocalDate date;
    try {
      date = LocalDate.parse(dateText);
    } catch (DateTimeParseException e) {
      throw new InvalidInputException(
          "date", "expected a date yyyy-MM-dd, e.g. 2026-11-27; got '" + dateText + "'");
    }
    boolean csv = Csv.wanted(r);
    List<AsRunEntry> entries = programs.asRunDay(area, date);
    if (!csv) return ApiResponse.ok(entries);
    return ApiResponse.text(HttpResponseStatus.OK, AsRunCsv.CONTENT_TYPE, AsRunCsv.write(entries))
        .header(
            HttpHeaderNames.CONTENT_DISPOSITION,
            "attachment; filename=\"asrun-" + area + "-" + date + ".csv\"");
  }

  private Program find(String id) {
    return programs
        .find(id)
        .orElseThrow(() -> new NotFoundException("no program with id '" + id + "'"));
  }
}

package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.scheduler.Bulletin;
import org.xiaolaba.scheduler.BulletinService;
import org.xiaolaba.server.auth.AreaAccess;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * Daily bulletins: editors prepare one now (what the morning job does); anyone may read one, since
 * residents' apps refetch it here when their push history cannot be recovered.
 */
public final class BulletinsApi {
  private final BulletinService bulletins;
  private final AreaAccess access;

  /** {@code POST /api/v1/bulletins} body. */
  public record PrepareRequest(String date, String area) {}

  public BulletinsApi(BulletinService bulletins, AreaAccess access) {
    this.bulletins = bulletins;
    this.access = access;
  }

  public void register(Router router) {
    router
        .add(
            Route.of(
                HttpMethod.POST, "/api/v1/bulletins", Route.Body.JSON, this::prepare, Role.EDITOR))
        .add(Route.publicRoute(HttpMethod.GET, "/api/v1/bulletins/{date}/{area}", this::get));
  }

  private ApiResponse prepare(ApiRequest r) {
    PrepareRequest req = r.json(PrepareRequest.class);
    LocalDate date = date("date", req.date());
    if (req.area() == null) throw new InvalidInputException("area", "area is required");
    String area = access.authoriseOne(r.principal(), req.area(), "area");
    return ApiResponse.json(HttpResponseStatus.CREATED, bulletins.prepare(date, area));
  }

  private ApiResponse get(ApiRequest r) {
    LocalDate date = date("date", r.param("date"));
    String area = r.param("area");
    Bulletin b =
        bulletins
            .find(date, area)
            .orElseThrow(
                () ->
                    new NotFoundException(
                        "no bulletin for area "
                            + area
                            + " on "
                            + date
                            + " (prepare it with POST /api/v1/bulletins)"));
    return ApiResponse.ok(b);
  }

  private static LocalDate date(String field, String text) {
    if (text == null)
      throw new InvalidInputException(field, field + " is required, e.g. 2026-11-27");
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw new InvalidInputException(field, field + " must be yyyy-MM-dd, not '" + text + "'");
    }
  }
}

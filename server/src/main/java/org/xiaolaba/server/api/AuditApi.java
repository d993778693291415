package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.server.audit.AuditEntry;
import org.xiaolaba.server.audit.AuditLog;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * Admins read the audit log: a day's state-changing requests, newest first, optionally only one
 * token's ({@code actor}) or one thing's ({@code target}); JSON, or CSV with {@code Accept:
 * text/csv} or {@code format=csv}.
 */
public final class AuditApi {
  static final int DEFAULT_LIMIT = 200;
  static final int MAX_LIMIT = 1000;
  private static final int MAX_ID = 200;

  private final AuditLog audit;

  public AuditApi(AuditLog audit) {
    this.audit = audit;
  }

  public void register(Router router) {
    router.add(Route.of(HttpMethod.GET, "/api/v1/audit", Route.Body.NONE, this::list));
  }

  private ApiResponse list(ApiRequest r) {
    LocalDate day = day(r);
    String actor = id(r, "actor");
    String target = id(r, "target");
    int limit = limit(r);
    boolean csv = Csv.wanted(r);
    List<AuditEntry> entries = audit.read(day, actor, target, limit);
    if (!csv) return ApiResponse.ok(entries);
    return ApiResponse.text(HttpResponseStatus.OK, Csv.CONTENT_TYPE, AuditCsv.write(entries))
        .header(
            HttpHeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"audit-" + day + ".csv\"");
  }

  private LocalDate day(ApiRequest r) {
    String text = r.queryParam("day").orElse(null);
    if (text == null) return audit.today();
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw new InvalidInputException(
          "day", "expected a date yyyy-MM-dd, e.g. 2026-11-27; got '" + text + "'");
    }
  }

  private static String id(ApiRequest r, String name) {
    String v = r.queryParam(name).orElse(null);
    if (v == null) return null;
    if (v.isBlank() || v.length() > MAX_ID) {
      throw new InvalidInputException(
          name, "expected an id of 1 to " + MAX_ID + " characters; got '" + shown(v) + "'");
    }
    return v;
  }

  private static int limit(ApiRequest r) {
    String text = r.queryParam("limit").orElse(null);
    if (text == null) return DEFAULT_LIMIT;
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= MAX_LIMIT) return n;
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new InvalidInputException(
        "limit", "expected a whole number from 1 to " + MAX_LIMIT + "; got '" + shown(text) + "'");
  }

  private static String shown(String v) {
    return v.length() > 40 ? v.substring(0, 40) + "…" : v;
  }
}

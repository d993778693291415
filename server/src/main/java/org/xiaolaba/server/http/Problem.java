package org.xiaolaba.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * An RFC 9457 problem document: every error the API answers has this shape, with a {@code detail}
 * that names what is wrong and, for input errors, the {@code field}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(
    String type, String title, int status, String detail, String field, List<String> conflicts) {

  public static final String CONTENT_TYPE = "application/problem+json";

  public static Problem of(HttpResponseStatus status, String detail) {
    return of(status, detail, null);
  }

  public static Problem of(HttpResponseStatus status, String detail, String field) {
    return new Problem(
        "https://xiaolaba.org/problems/" + slug(status),
        status.reasonPhrase(),
        status.code(),
        detail,
        field,
        null);
  }

  public Problem withConflicts(List<String> ids) {
    return new Problem(type, title, status, detail, field, List.copyOf(ids));
  }

  private static String slug(HttpResponseStatus status) {
    return status.reasonPhrase().toLowerCase().replaceAll("[^a-z0-9]+", "-");
  }
}

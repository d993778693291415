package org.xiaolaba.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/** An error answered at the edge as problem+json with this status. */
public final class ApiException extends RuntimeException {
  private final HttpResponseStatus status;

  public ApiException(HttpResponseStatus status, String detail) {
    super(detail);
    this.status = status;
  }

  public HttpResponseStatus status() {
    return status;
  }

  public static ApiException badRequest(String detail) {
    return new ApiException(HttpResponseStatus.BAD_REQUEST, detail);
  }

  public static ApiException unauthorized(String detail) {
    return new ApiException(HttpResponseStatus.UNAUTHORIZED, detail);
  }

  public static ApiException forbidden(String detail) {
    return new ApiException(HttpResponseStatus.FORBIDDEN, detail);
  }

  public static ApiException notFound(String detail) {
    return new ApiException(HttpResponseStatus.NOT_FOUND, detail);
  }
}

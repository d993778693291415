package org.xiaolaba.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * What a route answers: a status, headers and either bytes in memory or a region of a file (sent
 * with zero copy). Built on a blocking worker; written by the event loop.
 */
public final class ApiResponse {
  private final HttpResponseStatus status;
  private final HttpHeaders headers = new DefaultHttpHeaders();
  private final byte[] body;
  private final FileRegionSpec file;

  /** A slice of an open file to send as the body; the channel is closed once sent. */
  public record FileRegionSpec(FileChannel channel, long offset, long length) {}

  private ApiResponse(HttpResponseStatus status, byte[] body, FileRegionSpec file) {
    this.status = status;
    this.body = body;
    this.file = file;
  }

  public static ApiResponse json(HttpResponseStatus status, Object value) {
    try {
      byte[] bytes = Json.MAPPER.writeValueAsBytes(value);
      return bytes(status, "application/json; charset=utf-8", bytes);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response cannot be encoded as JSON", e);
    }
  }

  public static ApiResponse ok(Object value) {
    return json(HttpResponseStatus.OK, value);
  }

  public static ApiResponse problem(Problem p) {
    ApiResponse r = json(HttpResponseStatus.valueOf(p.status()), p);
    r.headers.set(HttpHeaderNames.CONTENT_TYPE, Problem.CONTENT_TYPE);
    return r;
  }

  public static ApiResponse text(HttpResponseStatus status, String contentType, String text) {
    return bytes(status, contentType, text.getBytes(StandardCharsets.UTF_8));
  }

  public static ApiResponse bytes(HttpResponseStatus status, String contentType, byte[] bytes) {
    ApiResponse r = new ApiResponse(status, bytes, null);
    r.headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    return r;
  }

  /** Headers only, with the given content length (HEAD, 304, 416). */
  public static ApiResponse empty(HttpResponseStatus status) {
    return new ApiResponse(status, new byte[0], null);
  }

  public static ApiResponse file(
      HttpResponseStatus status, String contentType, FileRegionSpec region) {
    ApiResponse r = new ApiResponse(status, null, region);
    r.headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    return r;
  }

  public ApiResponse header(CharSequence name, Object value) {
    headers.set(name, value);
    return this;
  }

  public HttpResponseStatus status() {
    return status;
  }

  public HttpHeaders headers() {
    return headers;
  }

  public byte[] body() {
    return body;
  }

  public FileRegionSpec file() {
    return file;
  }
}

package org.xiaolaba.server.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.EnumSet;
import java.util.Set;
import org.xiaolaba.server.auth.Role;

/**
 * One entry of the route table: method, path pattern ({@code /api/v1/clips/{id}}), how its body is
 * received, which roles may call it (empty: anyone, no token needed), the handler, and what each
 * call counts against its client address ({@code null}: nothing).
 */
public record Route(
    HttpMethod method,
    String pattern,
    Body body,
    Set<Role> roles,
    Handler handler,
    ClientThrottle.Kind throttle) {

  public Route(HttpMethod method, String pattern, Body body, Set<Role> roles, Handler handler) {
    this(method, pattern, body, roles, handler, null);
  }

  /** How the request body is taken in. */
  public enum Body {
    /** No body expected; anything sent is read and dropped. */
    NONE,
    /** A JSON document held in memory up to {@code http.maxJsonSize}. */
    JSON,
    /** Raw or multipart audio streamed to disk up to {@code media.maxUploadSize}. */
    UPLOAD
  }

  /** Runs on a blocking worker, never on the event loop. */
  @FunctionalInterface
  public interface Handler {
    ApiResponse handle(ApiRequest request) throws Exception;
  }

  public static Route publicRoute(HttpMethod method, String pattern, Handler handler) {
    return new Route(method, pattern, Body.NONE, Set.of(), handler);
  }

  public static Route of(
      HttpMethod method, String pattern, Body body, Handler handler, Role... roles) {
    EnumSet<Role> set = EnumSet.of(Role.ADMIN);
    set.addAll(Set.of(roles));
    return new Route(method, pattern, body, set, handler);
  }

  /** This route with each call counted against its client's {@code kind} limit. */
  public Route throttled(ClientThrottle.Kind kind) {
    return new Route(method, pattern, body, roles, handler, kind);
  }

  public boolean isPublic() {
    return roles.isEmpty();
  }
}

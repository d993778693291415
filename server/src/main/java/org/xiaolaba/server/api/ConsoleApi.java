package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.server.auth.Permission;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.ApiRequest;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/**
 * The web console: its pages ({@code /} for editors and broadcasters, {@code /listen} for
 * residents), their static files under {@code /console/} and who the console's token is ({@code GET
 * /api/v1/session}).
 *
 * <p>Files come from the jar's {@code /console/} folder only, by a name that is one path segment of
 * letters, digits, {@code -} and {@code _} with a known extension: nothing a request sends can name
 * another folder. Each answer carries an ETag and {@code Cache-Control: no-cache}, so browsers keep
 * the files but ask (and get a 304) before using them: a new server version is seen at once, and a
 * slow county link moves only headers.
 */
public final class ConsoleApi {
  static final String FOLDER = "/console/";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}\\.[a-z]{2,4}");

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon",
          "json", "application/json; charset=utf-8");

  /**
   * Pages may run only their own scripts and styles and talk only to this server: a title or body
   * typed by someone else can never run as code here.
   */
  private static final String PAGE_POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " media-src 'self' blob:; connect-src 'self'; object-src 'none';"
          + " base-uri 'none'; frame-ancestors 'none'";

  /** A file as served: its bytes, content type and entity tag. */
  private record StaticFile(byte[] bytes, String type, String etag) {}

  private final Map<String, StaticFile> cache = new ConcurrentHashMap<>();

  public void register(Router router) {
    router
        .add(Route.publicRoute(HttpMethod.GET, "/", r -> serve(r, "index.html")))
        .add(Route.publicRoute(HttpMethod.GET, "/listen", r -> serve(r, "listen.html")))
        .add(Route.publicRoute(HttpMethod.GET, "/console/{file}", r -> serve(r, r.param("file"))))
        .add(
            Route.of(
                HttpMethod.GET,
                "/api/v1/session",
                Route.Body.NONE,
                ConsoleApi::session,
                Role.EDITOR,
                Role.BROADCASTER,
                Role.TERMINAL));
  }

  /**
   * The calling token as the console needs it: which screens to show and for which areas, and the
   * permissions it has (an admin's are all of them).
   */
  private static ApiResponse session(ApiRequest r) {
    Principal p = r.principal();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", p.id());
    body.put("role", p.role());
    body.put("name", p.name());
    body.put("areas", p.areas());
    body.put("permissions", Arrays.stream(Permission.values()).filter(p::has).toList());
    return ApiResponse.ok(body).header(HttpHeaderNames.CACHE_CONTROL, "no-store");
  }

  private ApiResponse serve(ApiRequest r, String name) {
    StaticFile file =
        find(name).orElseThrow(() -> new NotFoundException("no console file named '" + name + "'"));
    String seen = r.headers().get(HttpHeaderNames.IF_NONE_MATCH);
    ApiResponse response =
        file.etag().equals(seen)
            ? ApiResponse.empty(HttpResponseStatus.NOT_MODIFIED)
            : ApiResponse.bytes(HttpResponseStatus.OK, file.type(), file.bytes());
    response
        .header(HttpHeaderNames.ETAG, file.etag())
        .header(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    if (file.type().startsWith("text/html")) {
      response
          .header("Content-Security-Policy", PAGE_POLICY)
          .header("Referrer-Policy", "same-origin");
    }
    return response;
  }

  /** The named file of the console folder; empty for any other name. */
  private Optional<StaticFile> find(String name) {
    if (name == null || !NAME.matcher(name).matches()) return Optional.empty();
    String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
    if (type == null) return Optional.empty();
    StaticFile known = cache.get(name);
    if (known != null) return Optional.of(known);
    byte[] bytes = read(FOLDER + name);
    if (bytes == null) return Optional.empty();
    StaticFile file = new StaticFile(bytes, type, etag(bytes));
    cache.put(name, file);
    return Optional.of(file);
  }

  private static byte[] read(String resource) {
    try (InputStream in = ConsoleApi.class.getResourceAsStream(resource)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(hash, 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}

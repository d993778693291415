package org.xiaolaba.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import org.xiaolaba.config.errors.InvalidInputException;

/**
 * Versions on the wire: a stored thing's version goes out as its {@code ETag}, and comes back as
 * {@code If-Match} on a change made against it (RFC 9110 strong tags; {@code *} or no header: any
 * version).
 */
public final class Versions {
  private Versions() {}

  /** The entity tag of a version: the version in double quotes. */
  public static String tag(String version) {
    return "\"" + version + "\"";
  }

  /** The version a request's {@code If-Match} names; null when it has none or says {@code *}. */
  public static String ifMatch(ApiRequest r) {
    String h = r.headers().get(HttpHeaderNames.IF_MATCH);
    if (h == null || h.isBlank() || h.strip().equals("*")) return null;
    String t = h.strip();
    if (t.startsWith("W/")) {
      throw new InvalidInputException(
          "If-Match", "a weak entity tag cannot guard a change; send the ETag as it was given");
    }
    if (t.length() < 2 || !t.startsWith("\"") || !t.endsWith("\"") || t.indexOf(',') >= 0) {
      throw new InvalidInputException(
          "If-Match", "expected one entity tag in double quotes, as the ETag header gave it");
    }
    return t.substring(1, t.length() - 1);
  }
}

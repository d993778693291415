package org.xiaolaba.server.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.List;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.server.http.ApiRequest;

/**
 * CSV as the API's downloads write it (RFC 4180, CRLF line ends). Text cells that a spreadsheet
 * would run as a formula (starting with {@code = + - @}, a tab or a carriage return) are prefixed
 * with a quote.
 */
final class Csv {
  static final String CONTENT_TYPE = "text/csv; charset=utf-8";

  private Csv() {}

  /**
   * Whether the caller asks for CSV: {@code format=csv}, or {@code Accept: text/csv} without a
   * {@code format}; a {@code format} other than csv or json is a 400 naming it.
   */
  static boolean wanted(ApiRequest r) {
    String format = r.queryParam("format").orElse(null);
    if (format != null && !format.equals("csv") && !format.equals("json")) {
      throw new InvalidInputException("format", "expected csv or json; got '" + format + "'");
    }
    String accept = r.headers().get(HttpHeaderNames.ACCEPT);
    return "csv".equals(format)
        || (format == null && accept != null && accept.contains("text/csv"));
  }

  /** A free-text cell, empty for null, defused against formula injection. */
  static String text(String s) {
    if (s == null) return "";
    return !s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0 ? "'" + s : s;
  }

  /** Appends one row, quoting the cells that need it. */
  static void row(StringBuilder out, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) out.append(',');
      String c = cells.get(i);
      if (c.contains(",") || c.contains("\"") || c.contains("\n") || c.contains("\r")) {
        out.append('"').append(c.replace("\"", "\"\"")).append('"');
      } else {
        out.append(c);
      }
    }
    out.append("\r\n");
  }
}

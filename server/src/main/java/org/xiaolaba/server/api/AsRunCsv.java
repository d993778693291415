package org.xiaolaba.server.api;

import java.time.OffsetDateTime;
import java.util.List;
import org.xiaolaba.scheduler.AsRunEntry;

/**
 * An area's day log as CSV (RFC 4180, a header row, CRLF line ends) for compliance reports.
 * Free-text cells that a spreadsheet would run as a formula are prefixed with a quote.
 */
final class AsRunCsv {
  static final String CONTENT_TYPE = "text/csv; charset=utf-8";

  static final List<String> HEADER =
      List.of(
          "programId",
          "title",
          "runId",
          "scheduledAt",
          "dispatchedAt",
          "priority",
          "areas",
          "terminalsTargeted",
          "terminalsReached",
          "terminalsConfirmed",
          "late",
          "missed",
          "error",
          "interruptedBy");

  private AsRunCsv() {}

  static String write(List<AsRunEntry> entries) {
    StringBuilder out = new StringBuilder();
    row(out, HEADER);
    for (AsRunEntry e : entries) {
      row(
          out,
          List.of(
              e.programId(),
              text(e.title()),
              e.runId(),
              time(e.scheduledAt()),
              time(e.dispatchedAt()),
              e.priority(),
              String.join(" ", e.areas()),
              Integer.toString(e.terminalsTargeted()),
              Integer.toString(e.terminalsReached()),
              Integer.toString(e.terminalsConfirmed() == null ? 0 : e.terminalsConfirmed().size()),
              Boolean.toString(e.late()),
              Boolean.toString(e.missed()),
              text(e.error()),
              text(e.interruptedBy())));
    }
    return out.toString();
  }

  private static String time(OffsetDateTime t) {
    return t == null ? "" : t.toString();
  }

  private static String text(String s) {
    if (s == null) return "";
    return !s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0 ? "'" + s : s;
  }

  private static void row(StringBuilder out, List<String> cells) {
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

package org.xiaolaba.server.api;

import java.time.OffsetDateTime;
import java.util.List;
import org.xiaolaba.scheduler.AsRunEntry;

/**
 * An area's day log as CSV (RFC 4180, a header row, CRLF line ends) for compliance reports.
 * Free-text cells that a spreadsheet would run as a formula are prefixed with a quote ({@link
 * Csv}).
 */
final class AsRunCsv {
  static final String CONTENT_TYPE = Csv.CONTENT_TYPE;

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
    Csv.row(out, HEADER);
    for (AsRunEntry e : entries) {
      Csv.row(
          out,
          List.of(
              e.programId(),
              Csv.text(e.title()),
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
              Csv.text(e.error()),
              Csv.text(e.interruptedBy())));
    }
    return out.toString();
  }

  private static String time(OffsetDateTime t) {
    return t == null ? "" : t.toString();
  }
}

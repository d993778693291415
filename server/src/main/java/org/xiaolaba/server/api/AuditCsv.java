package org.xiaolaba.server.api;

import java.util.List;
import org.xiaolaba.server.audit.AuditEntry;

/** A day of the audit log as CSV (a header row, then one row per entry, newest first). */
final class AuditCsv {
  static final List<String> HEADER =
      List.of(
          "id",
          "at",
          "actorId",
          "actorName",
          "actorRole",
          "address",
          "method",
          "route",
          "path",
          "target",
          "status",
          "detail");

  private AuditCsv() {}

  static String write(List<AuditEntry> entries) {
    StringBuilder out = new StringBuilder();
    Csv.row(out, HEADER);
    for (AuditEntry e : entries) {
      Csv.row(
          out,
          List.of(
              e.id(),
              e.at().toString(),
              Csv.text(e.actorId()),
              Csv.text(e.actorName()),
              Csv.text(e.actorRole()),
              Csv.text(e.address()),
              Csv.text(e.method()),
              Csv.text(e.route()),
              Csv.text(e.path()),
              Csv.text(e.target()),
              Integer.toString(e.status()),
              Csv.text(e.detail())));
    }
    return out.toString();
  }
}

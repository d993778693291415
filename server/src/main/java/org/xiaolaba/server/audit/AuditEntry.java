package org.xiaolaba.server.audit;

import java.time.OffsetDateTime;

/**
 * One state-changing request as the audit log keeps it: when its answer was known, who sent it (the
 * token's id, name and role; none when no token was known), from which client address, the method,
 * the route pattern and the path as sent (without its query), the target id, the status and, for
 * errors, the problem's detail. Never a body, a header or a token.
 *
 * @param id the entry's id in the log ({@code <epoch ms>-<n>}), null until it is stored
 */
public record AuditEntry(
    String id,
    OffsetDateTime at,
    String actorId,
    String actorName,
    String actorRole,
    String address,
    String method,
    String route,
    String path,
    String target,
    int status,
    String detail) {}

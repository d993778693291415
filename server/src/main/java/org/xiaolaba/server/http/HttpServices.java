package org.xiaolaba.server.http;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import org.xiaolaba.config.Settings;
import org.xiaolaba.server.auth.TokenStore;

/**
 * What every HTTP connection shares: the limits, the route table, auth (token lookups through
 * {@link TokenCheck}), who a request comes from ({@link ClientAddress}), the per-address throttle,
 * the blocking workers and the audit log's recorder.
 */
public record HttpServices(
    Settings settings,
    Router router,
    TokenStore tokens,
    ExecutorService blocking,
    Path incomingDir,
    WebSocketUpgrade webSocket,
    HttpMetrics metrics,
    ClientThrottle throttle,
    TokenCheck tokenCheck,
    ClientAddress clients,
    AuditRecorder audit) {}

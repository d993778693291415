package org.xiaolaba.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.server.audit.AuditEntry;
import org.xiaolaba.server.audit.AuditLog;
import org.xiaolaba.server.auth.Principal;

/**
 * Records every state-changing request (POST, PUT, PATCH, DELETE, refused ones too) in the {@link
 * AuditLog}, once its answer is known: called by {@link HttpRequestHandler} where every answer is
 * written. The entry is stamped there, on the event loop; the rest (the created thing's id, the
 * problem's detail, the write to Redis) is done on a blocking worker. A write that cannot be done
 * (the workers full, Redis failing) is dropped, logged and counted in {@code
 * xiaolaba_audit_dropped_total}: the client's answer never waits for it nor fails because of it.
 * Requests without a known token are recorded at most {@code audit.anonymousPerMinute} times a
 * minute per client address; past that they are only counted ({@code reason="anonymous-rate"}).
 */
public final class AuditRecorder {
  private static final Logger log = LoggerFactory.getLogger(AuditRecorder.class);
  private static final Set<HttpMethod> CHANGING =
      Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);

  /** The longest problem detail kept, in characters. */
  static final int MAX_DETAIL = 200;

  /** The longest path and target id kept (a path may be 4 KiB long). */
  private static final int MAX_PATH = 1000;

  private static final int MAX_TARGET = 200;

  /** Answers larger than this are not searched for a created thing's id. */
  private static final int MAX_BODY_SEARCHED = 64 * 1024;

  /** Drops are logged at most this often (a Redis outage would drop every entry). */
  private static final long WARN_EVERY_NANOS = 60_000_000_000L;

  private final AuditLog audit;
  private final Executor blocking;
  private final Counter droppedBusy;
  private final Counter droppedFailed;
  private final Counter droppedAnonymous;
  private final ClientThrottle throttle;
  private final AtomicLong lastWarned = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

  /** {@code throttle}: bounds what requests without a known token may add (per address). */
  public AuditRecorder(
      AuditLog audit, Executor blocking, MeterRegistry registry, ClientThrottle throttle) {
    this.audit = audit;
    this.blocking = blocking;
    this.throttle = throttle;
    this.droppedBusy = dropped(registry, "busy");
    this.droppedFailed = dropped(registry, "failed");
    this.droppedAnonymous = dropped(registry, "anonymous-rate");
  }

  private static Counter dropped(MeterRegistry registry, String reason) {
    return Counter.builder("xiaolaba.audit.dropped")
        .description("Audit entries not written: the blocking workers were full, or Redis failed")
        .tag("reason", reason)
        .register(registry);
  }

  /**
   * Records {@code request}'s answer if the request changes state. Called on the event loop, once
   * per request; {@code route} is its route pattern ("unmatched" when none), {@code params} the
   * path parameters it bound, {@code principal} the token's (null when no token was known).
   */
  void record(
      HttpRequest request,
      String route,
      Map<String, String> params,
      Principal principal,
      String address,
      ApiResponse response) {
    if (request == null || !CHANGING.contains(request.method())) return;
    // Anyone can send requests without a token: what they add to the log is bounded per address.
    if (principal == null && throttle.take(ClientThrottle.Kind.ANONYMOUS_AUDIT, address) > 0) {
      droppedAnonymous.increment();
      return;
    }
    OffsetDateTime at = audit.now();
    String method = request.method().name();
    String path = cut(pathOf(request.uri()), MAX_PATH);
    String target = params.get("id");
    int status = response.status().code();
    String location = response.headers().get(HttpHeaderNames.LOCATION);
    String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    byte[] body = response.body();
    Runnable write =
        () -> {
          AuditEntry entry =
              new AuditEntry(
                  null,
                  at,
                  principal == null ? null : principal.id(),
                  principal == null ? null : principal.name(),
                  principal == null ? null : principal.role().json(),
                  address,
                  method,
                  route,
                  path,
                  cut(target != null ? target : created(status, location, type, body), MAX_TARGET),
                  status,
                  status >= 400 ? detail(type, body) : null);
          try {
            audit.append(entry);
          } catch (RuntimeException e) {
            droppedFailed.increment();
            warn(method, path, status, "the audit log could not be written: " + e.getMessage());
          }
        };
    try {
      blocking.execute(write);
    } catch (RejectedExecutionException e) {
      droppedBusy.increment();
      warn(method, path, status, "the blocking workers took no more work");
    }
  }

  private void warn(String method, String path, int status, String why) {
    long now = System.nanoTime();
    long last = lastWarned.get();
    String what = "Audit entry of " + method + " " + path + " (" + status + ") dropped: " + why;
    if (now - last >= WARN_EVERY_NANOS && lastWarned.compareAndSet(last, now)) {
      log.warn(
          "{}; the request was answered, the entry is lost (counted in"
              + " xiaolaba_audit_dropped_total; further drops are logged at most once a minute)",
          what);
    } else {
      log.debug(what);
    }
  }

  /** The request target without its query (which may hold secrets) or fragment. */
  static String pathOf(String uri) {
    int end = uri.length();
    int q = uri.indexOf('?');
    if (q >= 0) end = q;
    int hash = uri.indexOf('#');
    if (hash >= 0 && hash < end) end = hash;
    return uri.substring(0, end);
  }

  /** The id of what a successful request created: from {@code Location}, else the body's "id". */
  private static String created(int status, String location, String type, byte[] body) {
    if (status < 200 || status > 299) return null;
    String at = location == null ? "" : pathOf(location);
    int slash = at.lastIndexOf('/');
    if (slash > 0 && slash < at.length() - 1) return at.substring(slash + 1);
    return type.startsWith("application/json") ? topLevelText(body, "id") : null;
  }

  private static String detail(String type, byte[] body) {
    if (!type.startsWith(Problem.CONTENT_TYPE)) return null;
    return cut(topLevelText(body, "detail"), MAX_DETAIL);
  }

  /**
   * A text or number field of a JSON object's top level, read with the streaming parser: nothing
   * else of the body (such as a new token's secret) is kept.
   */
  static String topLevelText(byte[] body, String field) {
    if (body == null || body.length == 0 || body.length > MAX_BODY_SEARCHED) return null;
    try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals(field) && value != null && value.isScalarValue()) {
          return value == JsonToken.VALUE_NULL ? null : p.getText();
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  /** At most {@code max} characters, never splitting a surrogate pair; "…" marks a cut. */
  static String cut(String s, int max) {
    if (s == null || s.length() <= max) return s;
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end) + "…";
  }
}

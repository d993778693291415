package org.xiaolaba.server.http;

import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xiaolaba.config.Settings;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;

/**
 * Per client address token buckets on this node: failed token checks, uploads, pushes and the audit
 * entries of anonymous requests, each refilled evenly over a minute ({@code http.throttle.*},
 * {@code audit.anonymousPerMinute}). Memory is bounded: past {@link #MAX_ADDRESSES} buckets, the
 * ones that have refilled (idle clients) are dropped.
 */
public final class ClientThrottle {
  /** What is counted. */
  public enum Kind {
    AUTH_FAILURE("failed token checks", "http.throttle.authFailuresPerMinute"),
    UPLOAD("uploads", "http.throttle.uploadsPerMinute"),
    PUSH("pushes", "http.throttle.pushesPerMinute"),
    ANONYMOUS_AUDIT("audit entries of requests without a known token", "audit.anonymousPerMinute");

    final String what;
    final String key;

    Kind(String what, String key) {
      this.what = what;
      this.key = key;
    }
  }

  static final int MAX_ADDRESSES = 100_000;

  private record Key(Kind kind, String address) {}

  /** Tokens left and when they were last counted; refilled lazily on each use. */
  private static final class Bucket {
    double tokens;
    long countedAt;

    Bucket(double tokens, long countedAt) {
      this.tokens = tokens;
      this.countedAt = countedAt;
    }
  }

  private final Clock clock;
  private final Map<Kind, Integer> perMinute = new EnumMap<>(Kind.class);
  private final boolean exemptAdmins;
  private final Map<Key, Bucket> buckets = new ConcurrentHashMap<>();

  public ClientThrottle(Settings.Throttle cfg, Clock clock) {
    this(cfg, 0, clock);
  }

  /** {@code anonymousAuditedPerMinute}: see {@link Kind#ANONYMOUS_AUDIT}; 0: no limit. */
  public ClientThrottle(Settings.Throttle cfg, int anonymousAuditedPerMinute, Clock clock) {
    this.clock = clock;
    perMinute.put(Kind.ANONYMOUS_AUDIT, anonymousAuditedPerMinute);
    this.exemptAdmins = cfg.exemptAdmins();
    perMinute.put(Kind.AUTH_FAILURE, cfg.authFailuresPerMinute());
    perMinute.put(Kind.UPLOAD, cfg.uploadsPerMinute());
    perMinute.put(Kind.PUSH, cfg.pushesPerMinute());
  }

  /** Whether this caller is held to the upload and push limits. */
  public boolean applies(Principal p) {
    return !(exemptAdmins && p != null && p.role() == Role.ADMIN);
  }

  /**
   * Takes one token for this address: 0 when there was one, else the whole seconds to wait until
   * there is (nothing taken). A limit of 0 means no limit.
   */
  public long take(Kind kind, String address) {
    return use(kind, address, true, true);
  }

  /** The whole seconds this address must wait before a try of this kind is allowed; 0: now. */
  public long waitFor(Kind kind, String address) {
    return use(kind, address, false, false);
  }

  /** Counts one try (a failed token check) against the address, whether or not one was left. */
  public void record(Kind kind, String address) {
    use(kind, address, true, false);
  }

  /** Why a request is refused, naming the limit and its key. */
  public String refusal(Kind kind, String address) {
    return "too many "
        + kind.what
        + " from "
        + address
        + ": at most "
        + perMinute.get(kind)
        + " a minute ("
        + kind.key
        + ")";
  }

  private long use(Kind kind, String address, boolean take, boolean onlyIfLeft) {
    int limit = perMinute.get(kind);
    if (limit <= 0) return 0;
    long now = clock.millis();
    if (buckets.size() > MAX_ADDRESSES) dropRefilled(now);
    Bucket b = buckets.computeIfAbsent(new Key(kind, address), k -> new Bucket(limit, now));
    synchronized (b) {
      double perMilli = limit / 60_000.0;
      b.tokens = Math.min(limit, b.tokens + Math.max(0, now - b.countedAt) * perMilli);
      b.countedAt = now;
      if (b.tokens >= 1) {
        if (take) b.tokens -= 1;
        return 0;
      }
      if (take && !onlyIfLeft) b.tokens = 0;
      long waitMillis = Math.round((1 - b.tokens) / perMilli);
      return Math.max(1, (waitMillis + 999) / 1000);
    }
  }

  private void dropRefilled(long now) {
    buckets
        .entrySet()
        .removeIf(
            e -> {
              int limit = perMinute.get(e.getKey().kind());
              Bucket b = e.getValue();
              synchronized (b) {
                return b.tokens + (now - b.countedAt) * (limit / 60_000.0) >= limit;
              }
            });
  }
}

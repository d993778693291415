package org.xiaolaba.server.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Request counts and latencies by method, route pattern and status. Every tag comes from a fixed
 * set, whatever a client sends: a method outside {@link #METHODS} is counted as {@code OTHER}, a
 * path no route matches as the route {@code unmatched}.
 */
public final class HttpMetrics {
  /** The methods the server implements; any other is answered 501 before routing. */
  public static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private final MeterRegistry registry;

  public HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void record(String method, String route, int status, long startNanos) {
    Timer.builder("xiaolaba.http.requests")
        .description("HTTP requests by route and status")
        .tag("method", METHODS.contains(method) ? method : "OTHER")
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(registry)
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}

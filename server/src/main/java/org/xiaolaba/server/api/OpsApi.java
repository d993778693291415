package org.xiaolaba.server.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.xiaolaba.server.http.ApiResponse;
import org.xiaolaba.server.http.Route;
import org.xiaolaba.server.http.Router;

/** Operations: liveness, readiness, metrics and the OpenAPI document. */
public final class OpsApi {
  private final PrometheusMeterRegistry metrics;
  private final Map<String, BooleanSupplier> readiness;
  private final byte[] openApi = resource("/openapi.json");

  /** {@code readiness}: each dependency's name and a quick check of whether it works. */
  public OpsApi(PrometheusMeterRegistry metrics, Map<String, BooleanSupplier> readiness) {
    this.metrics = metrics;
    this.readiness = Map.copyOf(readiness);
  }

  public void register(Router router) {
    router
        .add(
            Route.publicRoute(
                HttpMethod.GET, "/healthz", r -> ApiResponse.ok(Map.of("status", "ok"))))
        .add(Route.publicRoute(HttpMethod.GET, "/readyz", r -> ready()))
        .add(
            Route.publicRoute(
                HttpMethod.GET,
                "/metrics",
                r ->
                    ApiResponse.text(
                        HttpResponseStatus.OK,
                        "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape())))
        .add(
            Route.publicRoute(
                HttpMethod.GET,
                "/api/openapi.json",
                r ->
                    ApiResponse.bytes(
                        HttpResponseStatus.OK, "application/json; charset=utf-8", openApi)));
  }

  private ApiResponse ready() {
    Map<String, String> checks = new LinkedHashMap<>();
    boolean ok = true;
    for (Map.Entry<String, BooleanSupplier> e : new java.util.TreeMap<>(readiness).entrySet()) {
      boolean up;
      try {
        up = e.getValue().getAsBoolean();
      } catch (RuntimeException ex) {
        up = false;
      }
      checks.put(e.getKey(), up ? "ok" : "failing");
      ok &= up;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", ok ? "ready" : "not ready");
    body.put("checks", checks);
    return ApiResponse.json(
        ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
  }

  private static byte[] resource(String name) {
    try (InputStream in = OpsApi.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

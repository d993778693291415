package org.xiaolaba.terminal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Measures how far the terminal's clock is from the server's, the way NTP does it once: ask {@code
 * GET /api/v1/time} a few times, and from the answer with the shortest round trip take the server
 * time minus the midpoint of the request. Accurate to half that round trip.
 */
final class ClockOffsetProbe {
  static final int SAMPLES = 3;

  private final HttpClient http;
  private final URI timeUri;
  private final Clock clock;

  ClockOffsetProbe(HttpClient http, URI httpBase, Clock clock) {
    this.http = http;
    this.timeUri = httpBase.resolve("/api/v1/time");
    this.clock = clock;
  }

  /** The terminal's clock minus the server's in milliseconds; empty when the server cannot say. */
  Optional<Long> measure() throws InterruptedException {
    long bestRtt = Long.MAX_VALUE;
    Long best = null;
    for (int i = 0; i < SAMPLES; i++) {
      Instant sent = clock.instant();
      Instant server;
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(timeUri).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) return Optional.empty();
        JsonNode body = Json.MAPPER.readTree(r.body());
        server = Instant.parse(body.path("now").asText());
      } catch (IOException | RuntimeException e) {
        return Optional.ofNullable(best);
      }
      Instant received = clock.instant();
      long rtt = Duration.between(sent, received).toMillis();
      if (rtt < bestRtt) {
        bestRtt = rtt;
        Instant midpoint = sent.plusMillis(rtt / 2);
        best = Duration.between(server, midpoint).toMillis();
      }
    }
    return Optional.ofNullable(best);
  }
}

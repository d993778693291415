package org.xiaolaba.bench.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The server's area tree as the harness needs it: the county, its towns and their villages. */
record Areas(String county, Map<String, List<String>> villagesByTown) {

  static Areas read(HttpClient http, int port) throws IOException, InterruptedException {
    String body =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/areas"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    JsonNode root = new ObjectMapper().readTree(body);
    Map<String, List<String>> towns = new LinkedHashMap<>();
    for (JsonNode town : root.path("children")) {
      List<String> villages = new ArrayList<>();
      town.path("children").forEach(v -> villages.add("area:" + v.path("code").asText()));
      towns.put(town.path("code").asText(), villages);
    }
    return new Areas(root.path("code").asText(), towns);
  }

  List<String> villageChannels() {
    return villagesByTown.values().stream().flatMap(List::stream).toList();
  }

  List<String> villagesOf(String town) {
    return villagesByTown.get(town);
  }

  String largestTown() {
    return villagesByTown.entrySet().stream()
        .max(Comparator.comparingInt(e -> e.getValue().size()))
        .orElseThrow()
        .getKey();
  }
}

package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The uploader's console follows a clip's processing live over the WebSocket. */
class ClipProgressTest {
  @TempDir static Path dataDir;
  @TempDir static Path work;
  static TestServer server;
  static String editor;

  @BeforeAll
  static void start() {
    server = TestServer.start(dataDir);
    editor = server.token("editor", "编辑", "320623");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void anEditorWatchingAClipSeesItsStagesUntilItIsReady() throws Exception {
    Path tone = TestServer.tone(work, "long.wav", 60);
    String id = server.upload(tone, "progress", editor);

    TestServer.WsRecorder ws = server.connect(editor);
    ws.send(Map.of("op", "subscribe", "channels", List.of("clip:" + id)));
    assertThat(ws.awaitType("subscribed", Duration.ofSeconds(5)).get("channel").asText())
        .isEqualTo("clip:" + id);
    List<JsonNode> seen = new ArrayList<>();
    JsonNode last;
    do {
      last = ws.awaitType("clip", Duration.ofSeconds(60));
      seen.add(last.get("data"));
    } while ("processing".equals(last.at("/data/status").asText()));
    assertThat(last.at("/data/status").asText()).isEqualTo("ready");
    assertThat(last.at("/data/progress").asInt()).isEqualTo(100);
    List<Integer> progress = seen.stream().map(c -> c.get("progress").asInt()).toList();
    assertThat(progress).isSorted();
    assertThat(seen).allMatch(c -> c.get("id").asText().equals(id));
  }

  @Test
  void residentsAndTerminalsCannotWatchClipsAndUnknownClipsAreRefused() throws Exception {
    TestServer.WsRecorder resident = server.connect(null);
    resident.send(Map.of("op", "subscribe", "channels", List.of("clip:abcdefghijkl")));
    assertThat(resident.awaitType("error", Duration.ofSeconds(5)).get("message").asText())
        .contains("editors");

    TestServer.WsRecorder console = server.connect(editor);
    console.send(Map.of("op", "subscribe", "channels", List.of("clip:abcdefghijkl")));
    assertThat(console.awaitType("error", Duration.ofSeconds(5)).get("message").asText())
        .contains("abcdefghijkl");
  }
}

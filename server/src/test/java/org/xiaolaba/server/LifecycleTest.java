package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, stop and start again on the same data directory. */
class LifecycleTest {
  @TempDir Path dataDir;

  @Test
  void withoutAConfiguredAdminTokenOneIsGeneratedOnceAndKeepsWorkingAfterARestart() {
    String admin;
    try (TestServer first = TestServer.start(dataDir, Map.of("XIAOLABA_ADMIN_TOKEN", ""))) {
      admin = first.generatedAdminToken().orElseThrow();
      assertThat(admin).hasSizeGreaterThanOrEqualTo(43); // 256 bits, base64url
      HttpResponse<String> r =
          first.postJson(
              "/api/v1/tokens",
              admin,
              Map.of("role", "editor", "name", "e", "areas", List.of("320623")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    try (TestServer second = TestServer.start(dataDir, Map.of("XIAOLABA_ADMIN_TOKEN", ""))) {
      assertThat(second.generatedAdminToken()).as("printed only on the first start").isEmpty();
      HttpResponse<String> r =
          second.postJson(
              "/api/v1/tokens",
              admin,
              Map.of("role", "editor", "name", "e2", "areas", List.of("320623")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
  }

  @Test
  void changingTheConfiguredAdminTokenRetiresThePreviousOne() {
    try (TestServer first =
        TestServer.start(
            dataDir, Map.of("XIAOLABA_ADMIN_TOKEN", "first-admin-secret-6b1e9d4a7c2f8e3b5d0a"))) {
      assertThat(
              first.get("/api/v1/clips/x", "first-admin-secret-6b1e9d4a7c2f8e3b5d0a").statusCode())
          .isEqualTo(404);
    }
    try (TestServer second =
        TestServer.start(
            dataDir, Map.of("XIAOLABA_ADMIN_TOKEN", "second-admin-secret-2c7f4a9e1d6b3f8a0e5c"))) {
      assertThat(
              second.get("/api/v1/clips/x", "first-admin-secret-6b1e9d4a7c2f8e3b5d0a").statusCode())
          .isEqualTo(401);
      assertThat(
              second
                  .get("/api/v1/clips/x", "second-admin-secret-2c7f4a9e1d6b3f8a0e5c")
                  .statusCode())
          .isEqualTo(404);
    }
  }

  @Test
  void aSecondStartOnTheSameDataDirectoryFindsWhatTheFirstStored() {
    String editor;
    try (TestServer first = TestServer.start(dataDir)) {
      editor = first.token("editor", "编辑", "320623");
      assertThat(
              first
                  .postJson(
                      "/api/v1/pushes", editor, Map.of("areas", List.of("320623"), "title", "留存"))
                  .statusCode())
          .isEqualTo(202);
    }
    try (TestServer second = TestServer.start(dataDir)) {
      assertThat(second.get("/api/v1/clips/none", editor).statusCode())
          .as("the editor token survived")
          .isEqualTo(404);
    }
  }

  @Test
  void shutdownStopsAcceptingAndClosesWebSocketsAsGoingAway() throws Exception {
    TestServer server = TestServer.start(dataDir);
    TestServer.WsRecorder ws = server.connect(null);
    ws.send(Map.of("op", "subscribe", "channels", List.of("area:320623")));
    ws.awaitType("subscribed", Duration.ofSeconds(5));
    int port = server.port();
    server.close();
    assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
    assertThat(catchThrowable(() -> new Socket("127.0.0.1", port).close()))
        .as("no longer accepting")
        .isNotNull();
  }

  @Test
  void aBadSettingStopsStartUpWithAMessageNamingIt() {
    Throwable t =
        catchThrowable(
            () -> TestServer.start(dataDir, Map.of("XIAOLABA_WEBSOCKET_MAX_FRAME_SIZE", "huge")));
    assertThat(t).hasMessageContaining("websocket.maxFrameSize").hasMessageContaining("huge");
  }
}

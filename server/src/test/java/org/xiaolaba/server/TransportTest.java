package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xiaolaba.config.ConfigException;

/**
 * Every transport {@code http.transport} names serves HTTP and carries a push end to end, on as
 * many event loops as {@code http.eventLoops} asks.
 */
class TransportTest {
  static final String VILLAGE = "320623100201";
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"auto", "epoll", "nio"})
  void eachTransportServesRequestsAndPushes(String transport) throws Exception {
    try (TestServer server =
        TestServer.start(dir.resolve(transport), Map.of("XIAOLABA_HTTP_TRANSPORT", transport))) {
      assertThat(server.get("/readyz", null).statusCode()).isEqualTo(200);
      TestServer.WsRecorder resident = server.subscriber("area:" + VILLAGE);
      String editor = server.token("editor", "编辑", "320623");
      for (int i = 1; i <= 3; i++) {
        var sent =
            server.postJson(
                "/api/v1/pushes",
                editor,
                Map.of("areas", List.of(VILLAGE), "title", "通知 " + i, "body", transport));
        assertThat(sent.statusCode()).isEqualTo(202);
      }
      for (int i = 1; i <= 3; i++) {
        JsonNode push = resident.awaitType("push", WAIT);
        assertThat(push.path("data").path("title").asText()).isEqualTo("通知 " + i);
      }
    }
  }

  @Test
  void connectionsAreSpreadOverTheConfiguredEventLoops() throws Exception {
    Set<Thread> before = eventLoopThreads();
    try (TestServer server =
        TestServer.start(dir.resolve("loops"), Map.of("XIAOLABA_HTTP_EVENT_LOOPS", "3"))) {
      List<TestServer.WsRecorder> residents = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        residents.add(server.subscriber("area:" + VILLAGE));
      }
      Set<Thread> started = eventLoopThreads();
      started.removeAll(before);
      // Netty starts a loop's thread with its first connection; seven connections reach all three.
      assertThat(started).hasSize(3);
    }
  }

  @Test
  void eventLoopsDefaultToOnePerCore() {
    assertThat(XiaolabaServer.eventLoops(0)).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(XiaolabaServer.eventLoops(5)).isEqualTo(5);
  }

  private static Set<Thread> eventLoopThreads() {
    Set<Thread> threads = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith("event-loop-")) threads.add(t);
    }
    return threads;
  }

  @Test
  void anUnknownTransportIsNamedWithTheChoices() {
    assertThatThrownBy(() -> Transport.choose("kqueue"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'http.transport'")
        .hasMessageContaining("'kqueue'")
        .hasMessageContaining("auto, epoll, nio");
  }
}

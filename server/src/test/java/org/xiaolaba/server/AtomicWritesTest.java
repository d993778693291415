package org.xiaolaba.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;

/**
 * Writes that must not half-happen reach Redis as one script or one MULTI/EXEC, as Redis itself
 * sees them (MONITOR): a token's record and its index entry, an item and its day index. A crash of
 * the node between two plain commands could otherwise leave one without the other.
 */
class AtomicWritesTest {
  @TempDir static Path dataDir;
  static TestServer server;
  static final Queue<String> seen = new ConcurrentLinkedQueue<>();
  static Jedis monitor;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(dataDir);
    monitor = new Jedis(URI.create(server.redisUrl()));
    CountDownLatch watching = new CountDownLatch(1);
    Thread t =
        new Thread(
            () -> {
              try {
                monitor.monitor(
                    new JedisMonitor() {
                      @Override
                      public void onCommand(String command) {
                        watching.countDown();
                        seen.add(command);
                      }
                    });
              } catch (RuntimeException closed) {
                // the test is over
              }
            },
            "monitor");
    t.setDaemon(true);
    t.start();
    // MONITOR reports itself only once a command runs: poke Redis until it does.
    try (Jedis poke = new Jedis(URI.create(server.redisUrl()))) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                poke.ping();
                return watching.await(100, TimeUnit.MILLISECONDS);
              });
    }
  }

  @AfterAll
  static void stop() {
    monitor.getClient().close();
    server.close();
  }

  /** The commands Redis ran, from the first that names {@code marker} on, in order. */
  private static List<String> commandsFrom(String marker) {
    List<String> all = List.copyOf(seen);
    int from = 0;
    while (from < all.size() && !all.get(from).contains(marker)) from++;
    return all.subList(Math.max(0, from - 1), all.size());
  }

  @Test
  void aTokenIsCreatedWithOneScriptThatWritesItsRecordAndIndexEntry() {
    String name = "atomic-editor-" + System.nanoTime();
    server.token("editor", name, "320623");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> seen.stream().anyMatch(c -> c.contains(name)));
    List<String> naming = seen.stream().filter(c -> c.contains(name)).toList();
    // The script itself, then the record written from inside it ("[0 lua]"); nothing else.
    assertThat(naming).anySatisfy(c -> assertThat(c).contains("\"EVAL"));
    assertThat(naming)
        .as("every command that writes the record is the script or runs inside it")
        .allSatisfy(c -> assertThat(c.contains("\"EVAL") || c.contains("lua]")).isTrue());
    assertThat(naming).anySatisfy(c -> assertThat(c).contains("lua]").contains("\"SET\""));
  }

  @Test
  void anItemAndItsDayIndexAreWrittenInOneTransaction() {
    String today = LocalDate.now(ZoneId.of("Asia/Shanghai")).toString();
    String title = "atomic-item-" + System.nanoTime();
    java.util.Map<String, Object> body =
        new java.util.LinkedHashMap<>(RouteBodies.item("320623100201", today));
    body.put("title", title);
    assertThat(server.postJson("/api/v1/items", TestServer.ADMIN, body).statusCode())
        .isEqualTo(201);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                seen.stream()
                    .anyMatch(
                        c ->
                            c.contains("\"EXEC\"")
                                && commandsFrom(title).stream()
                                    .anyMatch(x -> x.contains("\"EXEC\""))));
    List<String> from = commandsFrom(title);
    int set = indexOf(from, title);
    assertThat(from.get(set - 1)).as(String.join("\n", from)).contains("\"MULTI\"");
    int exec = indexOf(from, "\"EXEC\"");
    assertThat(from.subList(set, exec))
        .anySatisfy(c -> assertThat(c).contains("\"SADD\"").contains("items:date:" + today));
  }

  private static int indexOf(List<String> commands, String text) {
    for (int i = 0; i < commands.size(); i++) if (commands.get(i).contains(text)) return i;
    throw new AssertionError("no command with " + text + " in " + commands);
  }
}

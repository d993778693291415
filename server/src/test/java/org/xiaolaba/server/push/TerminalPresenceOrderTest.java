package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.config.testing.TestSettings;
import org.xiaolaba.server.auth.Principal;
import org.xiaolaba.server.auth.Role;
import org.xiaolaba.server.http.Json;

/**
 * A terminal's presence record, changed from several places (its connect, its status frames, its
 * disconnect): the changes are applied one after another in order, never by two workers at once
 * (each would read the record, and the later write undo the other), with a real Redis.
 */
class TerminalPresenceOrderTest {
  @TempDir static Path dataDir;
  static RedisHandle redis;

  /** Workers that run nothing until the test says so: what was handed over can be counted. */
  static final class HeldWorkers extends AbstractExecutorService {
    final ArrayDeque<Runnable> held = new ArrayDeque<>();

    @Override
    public void execute(Runnable task) {
      held.add(task);
    }

    void runAll() {
      while (!held.isEmpty()) held.poll().run();
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  @BeforeAll
  static void startRedis() {
    redis = RedisHandle.open(TestSettings.forDataDir(dataDir));
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  private static StatusReport status(int volume) throws Exception {
    JsonNode msg =
        Json.MAPPER.readTree("{\"op\":\"status\",\"state\":\"idle\",\"volume\":" + volume + "}");
    return StatusReport.parse(msg);
  }

  @Test
  void aConnectAndTheStatusRightAfterItAreAppliedInOrderByOneWorker() throws Exception {
    HeldWorkers workers = new HeldWorkers();
    try (TerminalPresence presence =
        new TerminalPresence(redis, workers, Clock.systemUTC(), Duration.ofMinutes(1))) {
      Principal p =
          new Principal("t-order", Role.TERMINAL, "一号喇叭", List.of("320623100201"), Instant.now());
      presence.connected(p, "conn-1");
      presence.status(p, status(35));
      presence.status(p, status(40));
      assertThat(workers.held).as("one worker task for the three changes").hasSize(1);
      workers.runAll();

      TerminalPresence.Terminal t = presence.find("t-order").orElseThrow();
      assertThat(t.online()).isTrue();
      assertThat(t.volume()).as("the last status, applied after the connect").isEqualTo(40);

      // Once applied, the next change is a task of its own again, on what was written.
      presence.status(p, status(20));
      assertThat(workers.held).hasSize(1);
      workers.runAll();
      assertThat(presence.find("t-order").orElseThrow().volume()).isEqualTo(20);
      assertThat(presence.find("t-order").orElseThrow().online()).isTrue();
    }
  }
}

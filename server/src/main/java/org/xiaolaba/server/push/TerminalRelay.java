package org.xiaolaba.server.push;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xiaolaba.config.AreaTree;
import org.xiaolaba.config.redis.RedisHandle;
import org.xiaolaba.scheduler.PlayCommand;
import org.xiaolaba.scheduler.TerminalSchedule;

/**
 * The hub's side of loudspeaker terminals: {@code play} and {@code stop} frames go to every node
 * over Redis pub/sub ({@code terminal-cmd}: the target areas, the run id of a play, the frame) and
 * each node sends them to its terminals in those areas; a terminal that connects is sent its plays
 * of the day; a terminal's confirmation of a run it was sent is recorded in the as-run log. Redis
 * and scheduler work runs on the blocking workers.
 */
final class TerminalRelay {
  private static final Logger log = LoggerFactory.getLogger(TerminalRelay.class);

  private final RedisHandle redis;
  private final AreaTree areas;
  private final ExecutorService blocking;
  private final Supplier<Iterable<WebSocketSession>> sessions;
  private volatile TerminalSchedule schedule;

  TerminalRelay(
      RedisHandle redis,
      AreaTree areas,
      ExecutorService blocking,
      Supplier<Iterable<WebSocketSession>> sessions) {
    this.redis = redis;
    this.areas = areas;
    this.blocking = blocking;
    this.sessions = sessions;
  }

  String channel() {
    return redis.key("terminal-cmd");
  }

  /**
   * Sends a frame to every terminal, on any node, that lies in one of {@code targetAreas}; {@code
   * runId} names the run of a {@code play} (null for other frames).
   */
  void send(List<String> targetAreas, String runId, String frame) {
    redis
        .client()
        .publish(
            channel(),
            String.join(",", targetAreas) + "\n" + (runId == null ? "" : runId) + "\n" + frame);
  }

  /** A command from pub/sub, on the subscriber thread. */
  void onCommand(String message) {
    int a = message.indexOf('\n');
    if (a < 0) return;
    int b = message.indexOf('\n', a + 1);
    // A node of the version before names no run: "areas\nframe" (a frame starts with '{').
    boolean named = b > 0 && message.charAt(a + 1) != '{';
    String runId = named && b > a + 1 ? message.substring(a + 1, b) : null;
    List<String> targets = List.of(message.substring(0, a).split(","));
    String text = message.substring(named ? b + 1 : a + 1);
    ByteBuf frame = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    try {
      for (WebSocketSession s : sessions.get()) {
        if (s.isTerminal()
            && s.terminalAreas().stream().anyMatch(area -> areas.coversAny(targets, area))) {
          if (runId != null) s.sendPlay(runId, frame.retainedDuplicate());
          else s.send(frame.retainedDuplicate());
        }
      }
    } finally {
      frame.release();
    }
  }

  /** Where terminals' upcoming plays and confirmations go; set once the scheduler runs. */
  void attach(TerminalSchedule schedule) {
    this.schedule = schedule;
  }

  /** A terminal connected: sends it its plays for the rest of the day, read on a worker. */
  void sendUpcoming(WebSocketSession s) {
    TerminalSchedule sched = schedule;
    if (sched == null) return;
    onWorker(
        "upcoming plays for terminal " + s.principal().id(),
        () -> {
          List<PlayCommand> plays = sched.upcomingFor(s.terminalAreas());
          for (PlayCommand c : plays) {
            s.sendPlay(c.runId(), Unpooled.copiedBuffer(Frames.play(c), StandardCharsets.UTF_8));
          }
          log.debug("Terminal {} sent {} upcoming plays", s.principal().id(), plays.size());
        });
  }

  /** A terminal reported playing a run it was sent: counted in the run's as-run record. */
  void confirmPlaying(WebSocketSession s, String runId) {
    TerminalSchedule sched = schedule;
    if (sched == null) return;
    String terminal = s.principal().id();
    onWorker(
        "confirmation of run " + runId + " by terminal " + terminal,
        () -> sched.confirmPlaying(runId, terminal));
  }

  void onWorker(String what, Runnable work) {
    try {
      blocking.execute(
          () -> {
            try {
              work.run();
            } catch (RuntimeException e) {
              log.warn("{} failed: {}", what, e.toString());
            }
          });
    } catch (RejectedExecutionException e) {
      log.warn("{} dropped: the blocking workers are saturated", what);
    }
  }
}

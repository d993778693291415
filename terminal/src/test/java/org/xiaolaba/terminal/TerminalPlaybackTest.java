package org.xiaolaba.terminal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xiaolaba.config.testing.SettableClock;

/**
 * What the terminal plays and when, by its own clock, without a server: frames are handed to it
 * directly, time is moved by hand and the sink only records what it was asked to play.
 */
class TerminalPlaybackTest {
  static final Instant T0 = Instant.parse("2026-11-27T04:00:00Z");

  @TempDir Path dir;
  SettableClock clock = new SettableClock(T0);
  RecordingSink sink = new RecordingSink();
  ReferenceTerminal terminal;

  @BeforeEach
  void create() {
    terminal = newTerminal();
  }

  ReferenceTerminal newTerminal() {
    // Never started: no link, only the schedule and the player.
    return new ReferenceTerminal(
        new TerminalConfig(URI.create("ws://127.0.0.1:9"), "token", dir, 70),
        sink,
        clock,
        ReconnectPolicy.standard());
  }

  @AfterEach
  void close() {
    terminal.close();
  }

  static String play(String runId, Instant startAt, String priority, long durationMs) {
    Map<String, Object> audio = new LinkedHashMap<>();
    audio.put("url", "/media/" + runId.replace(':', '-') + ".mp3");
    audio.put("durationMs", durationMs);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "play");
    m.put("program", runId.split(":")[0]);
    m.put("runId", runId);
    m.put("title", "防汛通知");
    m.put("startAt", startAt.toString());
    m.put("priority", priority);
    m.put("audio", audio);
    return Json.MAPPER.valueToTree(m).toString();
  }

  @Test
  void aPlayStartsAtItsStartTimeByTheTerminalsClockAndReportsHowLateTheSoundCame() {
    terminal.receive(play("p1:1", T0.plusSeconds(10), "normal", 30_000));
    terminal.tickNow();
    assertThat(sink.started).isEmpty();

    clock.set(T0.plusSeconds(10));
    terminal.tickNow();
    assertThat(sink.started).hasSize(1);
    assertThat(sink.last().position()).isZero();
    assertThat(sink.last().volume()).isEqualTo(70);
    assertThat(sink.last().source())
        .as("not fetched: streamed from the server")
        .isEqualTo("http://127.0.0.1:9/media/p1-1.mp3");

    sink.last().playback().firstSound.complete(T0.plusMillis(10_180));
    await().atMost(Duration.ofSeconds(5)).until(() -> terminal.status().state().equals("playing"));
    assertThat(terminal.status().nowPlaying()).isEqualTo("p1:1");
    assertThat(terminal.status().startErrorMs()).isEqualTo(180);

    sink.last().playback().finished.complete(null);
    await().atMost(Duration.ofSeconds(5)).until(() -> terminal.status().state().equals("idle"));
    terminal.tickNow();
    assertThat(sink.started).as("a finished run does not start again").hasSize(1);
  }

  @Test
  void aStopForTheCurrentRunEndsItAndItDoesNotStartAgain() {
    terminal.receive(play("p1:1", T0, "normal", 30_000));
    terminal.tickNow();
    RecordingSink.FakePlayback playing = sink.last().playback();

    terminal.receive(
        "{\"type\":\"stop\",\"program\":\"p1\",\"runId\":\"p1:1\",\"reason\":\"cancelled\"}");
    assertThat(playing.stopped).isTrue();
    assertThat(terminal.status().state()).isEqualTo("idle");
    clock.advance(Duration.ofSeconds(5));
    terminal.tickNow();
    assertThat(sink.started).hasSize(1);

    terminal.receive(play("p1:1", T0, "normal", 30_000));
    terminal.tickNow();
    assertThat(sink.started).as("the same run sent again stays stopped").hasSize(1);
    assertThat(LocalSchedule.open(dir).get("p1:1").orElseThrow().stopAt())
        .as("kept on disk")
        .isEqualTo(T0);
  }

  @Test
  void aStopAtALaterTimeLetsTheRunPlayUntilThen() {
    terminal.receive(play("p1:1", T0, "normal", 60_000));
    terminal.receive(
        "{\"type\":\"stop\",\"program\":\"p1\",\"runId\":\"p1:1\",\"reason\":\"preempted\","
            + "\"at\":\""
            + T0.plusSeconds(30)
            + "\"}");
    terminal.tickNow();
    assertThat(sink.started).hasSize(1);

    clock.set(T0.plusSeconds(29));
    terminal.tickNow();
    assertThat(sink.last().playback().stopped).isFalse();

    clock.set(T0.plusSeconds(30));
    terminal.tickNow();
    assertThat(sink.last().playback().stopped).isTrue();
    terminal.tickNow();
    assertThat(sink.started).as("not resumed after its stop").hasSize(1);
  }

  @Test
  void aStopThatOvertakesItsPlayStillHolds() {
    terminal.receive(
        "{\"type\":\"stop\",\"program\":\"p1\",\"runId\":\"p1:1\",\"reason\":\"cancelled\"}");
    terminal.receive(play("p1:1", T0, "normal", 30_000));
    terminal.tickNow();
    assertThat(sink.started).isEmpty();
  }

  @Test
  void aStopNamingOnlyTheProgramCancelsItsUpcomingRunsToo() {
    terminal.receive(play("p1:1", T0, "normal", 30_000));
    terminal.receive(play("p1:2", T0.plusSeconds(3600), "normal", 30_000));
    terminal.receive(play("p2:1", T0.plusSeconds(7200), "normal", 30_000));
    terminal.tickNow();

    terminal.receive("{\"type\":\"stop\",\"program\":\"p1\",\"reason\":\"deleted\"}");
    assertThat(sink.last().playback().stopped).isTrue();

    clock.set(T0.plusSeconds(3600));
    terminal.tickNow();
    assertThat(sink.started).hasSize(1);
    clock.set(T0.plusSeconds(7200));
    terminal.tickNow();
    assertThat(sink.started).hasSize(2);
    assertThat(sink.last().source()).endsWith("p2-1.mp3");
  }

  @Test
  void anEmergencyTakesOverAndTheInterruptedProgramGoesOnFromWhereItWouldBeAfterwards() {
    terminal.receive(play("news:1", T0, "normal", 60_000));
    terminal.tickNow();
    RecordingSink.FakePlayback news = sink.last().playback();

    clock.set(T0.plusSeconds(10));
    terminal.receive(play("fire:1", T0.plusSeconds(10), "emergency", 20_000));
    assertThat(news.stopped).isTrue();
    assertThat(sink.last().source()).endsWith("fire-1.mp3");

    clock.set(T0.plusSeconds(20));
    terminal.receive(play("weather:1", T0.plusSeconds(20), "normal", 5_000));
    assertThat(sink.started).as("a normal play does not cut into an emergency").hasSize(2);

    clock.set(T0.plusSeconds(30));
    sink.last().playback().finished.complete(null);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(sink.started).hasSize(3));
    assertThat(sink.last().source()).endsWith("news-1.mp3");
    assertThat(sink.last().position()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aTerminalRestartedInTheMiddleOfAPlayJoinsItAtItsPosition() {
    terminal.receive(play("p1:1", T0.plusSeconds(60), "normal", 90_000));
    terminal.close();

    clock.set(T0.plusSeconds(100));
    terminal = newTerminal();
    terminal.tickNow();
    assertThat(sink.started).hasSize(1);
    assertThat(sink.last().position()).isEqualTo(Duration.ofSeconds(40));

    sink.last().playback().firstSound.complete(T0.plusMillis(100_050));
    await().atMost(Duration.ofSeconds(5)).until(() -> terminal.status().state().equals("playing"));
    assertThat(terminal.status().startErrorMs()).isEqualTo(50);
  }

  @Test
  void aPlayThatCannotBeDecodedIsReportedAsAFaultAndTriedAgain() {
    terminal.receive(play("p1:1", T0, "high", 60_000));
    terminal.tickNow();
    sink.last().playback().finished.completeExceptionally(new java.io.IOException("bad mp3"));
    await().atMost(Duration.ofSeconds(5)).until(() -> terminal.status().state().equals("fault"));
    assertThat(terminal.status().nowPlaying()).isEqualTo("p1:1");
    assertThat(terminal.status().fault()).contains("bad mp3");

    clock.advance(ReferenceTerminal.RETRY_FAILED_AFTER);
    terminal.tickNow();
    assertThat(sink.started).hasSize(2);
  }

  @Test
  void aPlayThatHasAlreadyEndedIsNotKept() {
    clock.set(T0.plusSeconds(120));
    terminal.receive(play("p1:1", T0, "normal", 60_000));
    assertThat(terminal.plays()).isEmpty();
  }
}

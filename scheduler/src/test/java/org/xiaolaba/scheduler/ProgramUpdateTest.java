package org.xiaolaba.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.xiaolaba.scheduler.TestCluster.request;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xiaolaba.config.errors.ConflictException;
import org.xiaolaba.config.errors.InvalidInputException;
import org.xiaolaba.config.errors.NotFoundException;
import org.xiaolaba.config.testing.SettableClock;

/**
 * Programs changed in place, on scheduler nodes sharing one real Redis and firing by a clock the
 * test moves ({@link ManualTriggers}): the same id, validated and checked like a new program (but
 * never against itself), re-armed on every node for the new rule only, runs already claimed kept.
 */
class ProgramUpdateTest {
  /** 09:00 in Asia/Shanghai, the programs' zone. */
  static final Instant NINE = Instant.parse("2031-03-03T01:00:00Z");

  static final String OTHER_VILLAGE = "320623100202";

  final SettableClock clock = new SettableClock(NINE.minus(Duration.ofMinutes(30)));
  final TestCluster cluster = new TestCluster();
  final ExecutorService driver = Executors.newCachedThreadPool();

  @AfterEach
  void stop() throws Exception {
    driver.shutdownNow();
    cluster.close();
  }

  private List<TestCluster.Node> nodes(int n) {
    cluster.readyClip("c1");
    List<TestCluster.Node> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) nodes.add(cluster.manualNode(Map.of(), clock));
    return nodes;
  }

  @Test
  void aProgramMovedFromNineToHalfPastFiresAtHalfPastOnlyExactlyOnceOnTwoNodes() {
    List<TestCluster.Node> nodes = nodes(2);
    TestCluster.Node a = nodes.get(0);
    TestCluster.Node b = nodes.get(1);
    Program created = a.service().create(request("c1", Schedule.daily("09:00")));
    awaitArmed(nodes, created.id(), at(0));

    Program moved = a.service().update(created.id(), request("c1", Schedule.daily("09:30")));

    assertThat(moved.id()).isEqualTo(created.id());
    assertThat(moved.createdAt()).isEqualTo(created.createdAt());
    assertThat(moved.updatedAt()).isEqualTo(clock.instant());
    assertThat(moved.schedule()).isEqualTo(Schedule.daily("09:30"));
    assertThat(moved.nextRuns().get(0).toInstant()).isEqualTo(at(30));
    awaitArmed(nodes, created.id(), at(30));
    assertThat(b.service().find(created.id())).map(Program::schedule).contains(moved.schedule());
    // A terminal that connected earlier holds the 09:00 play: it is called off.
    assertThat(a.dispatch().stopped)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.runId()).isEqualTo(RunAudio.runId(created.id(), at(0)));
              assertThat(s.reason()).isEqualTo(StopCommand.CANCELLED);
              assertThat(s.areas()).containsExactly(TestCluster.VILLAGE);
            });

    fireUntil(NINE.plus(Duration.ofMinutes(45)), nodes);

    List<PlayCommand> played = played(nodes, created.id());
    assertThat(played).singleElement().satisfies(p -> assertThat(p.startAt()).isEqualTo(at(30)));
    assertThat(a.service().runs(created.id()))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.scheduledAt().toInstant()).isEqualTo(at(30));
              assertThat(r.missed()).isFalse();
              assertThat(r.late()).isFalse();
            });
    assertThat(a.service().armedRun(created.id())).contains(at(30).plus(Duration.ofDays(1)));
  }

  @Test
  void aRunAlreadyPlayedKeepsItsRecordAndTheNewRuleTakesOverOnEveryNode() {
    List<TestCluster.Node> nodes = nodes(2);
    Program p = nodes.get(0).service().create(request("c1", Schedule.daily("09:00")));
    awaitArmed(nodes, p.id(), at(0));
    fireUntil(NINE.plus(Duration.ofMinutes(5)), nodes);
    assertThat(played(nodes, p.id())).hasSize(1);

    // Changed on the other node: its clip, title and time.
    cluster.readyClip("c2");
    ProgramRequest change = inVillage("午间广播", "c2", "09:20", null);
    nodes.get(1).service().update(p.id(), change);
    awaitArmed(nodes, p.id(), at(20));
    fireUntil(NINE.plus(Duration.ofMinutes(40)), nodes);

    List<PlayCommand> played = played(nodes, p.id());
    assertThat(played).extracting(PlayCommand::startAt).containsExactly(at(0), at(20));
    assertThat(played.get(1).audioUrl()).isEqualTo("/media/c2.mp3");
    assertThat(nodes.get(0).service().runs(p.id()))
        .extracting(r -> r.scheduledAt().toInstant())
        .containsExactly(at(0), at(20));
    // The 09:00 run had started: nothing is called off.
    assertThat(nodes.get(1).dispatch().stopped).isEmpty();
    assertThat(nodes.get(0).service().find(p.id()).orElseThrow().title()).isEqualTo("午间广播");
  }

  @Test
  void aRunAlreadySentWhenItsProgramChangesIsSentAgainAsTheProgramNowIs() {
    List<TestCluster.Node> nodes = nodes(2);
    Program p = nodes.get(0).service().create(request("c1", Schedule.daily("09:00")));
    awaitArmed(nodes, p.id(), at(0));
    // The 09:00 run goes out a lead time (60 s) ahead; 30 s before it the editor changes things.
    fireUntil(NINE.minusSeconds(30), nodes);
    assertThat(played(nodes, p.id())).singleElement();
    String runId = RunAudio.runId(p.id(), at(0));

    // A change that puts nothing else on air (a last day) sends nothing again.
    ProgramRequest sameOnAir = inVillage(p.title(), "c1", "09:00", "2031-12-31");
    nodes.get(1).service().update(p.id(), sameOnAir);
    assertThat(played(nodes, p.id())).singleElement();

    // Another clip and title for the same run: sent again, the same run id, so terminals replace
    // it.
    cluster.readyClip("c2");
    ProgramRequest corrected = inVillage("防汛通知（更正）", "c2", "09:00", null);
    nodes.get(1).service().update(p.id(), corrected);

    List<PlayCommand> played = played(nodes, p.id());
    assertThat(played).hasSize(2).allSatisfy(c -> assertThat(c.runId()).isEqualTo(runId));
    List<TestCluster.Played> sentByB = nodes.get(1).dispatch().played;
    PlayCommand again = sentByB.get(sentByB.size() - 1).command();
    assertThat(again.runId()).isEqualTo(runId);
    assertThat(again.startAt()).isEqualTo(at(0));
    assertThat(again.audioUrl()).isEqualTo("/media/c2.mp3");
    assertThat(again.title()).isEqualTo("防汛通知（更正）");
    assertThat(nodes.get(1).dispatch().stopped).isEmpty();

    // Its trigger fired already: nothing more goes out for it, and it is logged once, as sent last.
    fireUntil(NINE.plus(Duration.ofMinutes(5)), nodes);
    assertThat(played(nodes, p.id())).hasSize(2);
    assertThat(nodes.get(0).service().runs(p.id()))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.runId()).isEqualTo(runId);
              assertThat(r.dispatchedAt().toInstant()).isEqualTo(NINE.minusSeconds(30));
            });
    assertThat(nodes.get(0).service().asRunDay(TestCluster.VILLAGE, LocalDate.parse("2031-03-03")))
        .filteredOn(e -> e.runId().equals(runId))
        .singleElement()
        .satisfies(e -> assertThat(e.title()).isEqualTo("防汛通知（更正）"));
  }

  @Test
  void aNodeThatSentTheOldVersionAfterTheChangeSendsTheRunAgainOrCallsItOff() {
    List<TestCluster.Node> nodes = nodes(2);
    ProgramService a = nodes.get(0).service();
    Program p = a.create(request("c1", Schedule.daily("09:00")));
    Program other = a.create(request("c1", TestCluster.VILLAGE, Schedule.daily("09:10")));
    StoredProgram before = a.stored(p.id()).orElseThrow();
    StoredProgram otherBefore = a.stored(other.id()).orElseThrow();
    cluster.readyClip("c2");
    // Both changed before their runs went out: a node that read them earlier sends the old
    // versions now (as if it had fired just before the changes were saved).
    a.update(p.id(), inVillage("防汛通知（更正）", "c2", "09:00", null));
    a.update(other.id(), inVillage(otherBefore.title(), "c1", "09:20", null));
    clock.moveTo(NINE.minusSeconds(60));
    int stopsBefore = nodes.get(0).dispatch().stopped.size();

    a.terminalPlays().followChange(before, at(0));
    a.terminalPlays().followChange(otherBefore, at(10));

    // Kept at 09:00 with another clip: sent again as changed.
    assertThat(nodes.get(0).dispatch().played)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.command().runId()).isEqualTo(RunAudio.runId(p.id(), at(0)));
              assertThat(x.command().audioUrl()).isEqualTo("/media/c2.mp3");
            });
    // Moved to 09:20: its 09:10 run is called off.
    List<StopCommand> stops = nodes.get(0).dispatch().stopped;
    assertThat(stops.subList(stopsBefore, stops.size()))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.runId()).isEqualTo(RunAudio.runId(other.id(), at(10)));
              assertThat(s.reason()).isEqualTo(StopCommand.CANCELLED);
            });
    // Unchanged since it was read: nothing more.
    a.terminalPlays().followChange(a.stored(p.id()).orElseThrow(), at(0));
    assertThat(nodes.get(0).dispatch().played).hasSize(1);
  }

  @Test
  void aChangeIsNotCheckedAgainstItselfButAgainstTheOthersAndARefusedOneChangesNothing() {
    List<TestCluster.Node> nodes = nodes(2);
    ProgramService service = nodes.get(0).service();
    Program nine = service.create(request("c1", Schedule.daily("09:00")));
    Program ten = service.create(request("c1", Schedule.daily("10:00")));

    // Overlaps its own old version only (the same time): accepted.
    ProgramRequest retitled = inVillage("早间新闻", "c1", "09:00", null);
    assertThat(service.update(nine.id(), retitled).title()).isEqualTo("早间新闻");

    assertThatThrownBy(() -> service.update(nine.id(), request("c1", Schedule.daily("10:00"))))
        .isInstanceOfSatisfying(
            ConflictException.class,
            e -> {
              assertThat(e.conflictsWith()).containsExactly(ten.id());
              assertThat(e.getMessage()).contains(ten.id()).doesNotContain(nine.id());
            });
    Program kept = service.find(nine.id()).orElseThrow();
    assertThat(kept.schedule()).isEqualTo(Schedule.daily("09:00"));
    assertThat(kept.title()).isEqualTo("早间新闻");
    awaitArmed(nodes, nine.id(), at(0));
  }

  @Test
  void movingAProgramToAnotherVillageMovesItInTheConflictIndex() {
    List<TestCluster.Node> nodes = nodes(1);
    ProgramService service = nodes.get(0).service();
    Program p = service.create(request("c1", Schedule.daily("09:00")));

    service.update(p.id(), request("c1", OTHER_VILLAGE, Schedule.daily("09:00")));

    // Its old village is free at 09:00; its new one is not.
    assertThat(service.create(request("c1", Schedule.daily("09:00"))).id()).isNotEqualTo(p.id());
    assertThatThrownBy(() -> service.create(request("c1", OTHER_VILLAGE, Schedule.daily("09:00"))))
        .isInstanceOfSatisfying(
            ConflictException.class, e -> assertThat(e.conflictsWith()).containsExactly(p.id()));
    // A terminal of the old village holding today's 09:00 run has it called off there only.
    assertThat(nodes.get(0).dispatch().stopped)
        .singleElement()
        .satisfies(s -> assertThat(s.areas()).containsExactly(TestCluster.VILLAGE));
  }

  @Test
  void aBadChangeIsRefusedNamingTheFieldAndAnUnknownProgramIsNotFound() {
    List<TestCluster.Node> nodes = nodes(1);
    ProgramService service = nodes.get(0).service();
    Program p = service.create(request("c1", Schedule.daily("09:00")));

    assertThatThrownBy(() -> service.update(p.id(), request("c1", "999", Schedule.daily("09:30"))))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("areas[0]"));
    assertThatThrownBy(() -> service.update(p.id(), request("c1", Schedule.daily("25:00"))))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).startsWith("schedule"));
    assertThatThrownBy(() -> service.update(p.id(), request("nope", Schedule.daily("09:30"))))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("clipId"));
    assertThatThrownBy(() -> service.update("no-such-id", request("c1", Schedule.daily("09:30"))))
        .isInstanceOf(NotFoundException.class);
    assertThat(service.find(p.id()).orElseThrow().schedule()).isEqualTo(Schedule.daily("09:00"));
    assertThat(service.find(p.id()).orElseThrow().updatedAt()).isNull();
    assertThat(service.armedRun(p.id())).contains(at(0));
  }

  @Test
  void aChangeIntoQuietHoursIsRefused() {
    cluster.readyClip("c1");
    TestCluster.Node node =
        cluster.nodeWith(
            Map.of(),
            clock,
            s -> TestCluster.withQuietHours(s, Map.of(TestCluster.TOWN, "22:00-06:00")));
    Program p = node.service().create(request("c1", Schedule.daily("09:00")));

    assertThatThrownBy(() -> node.service().update(p.id(), request("c1", Schedule.daily("23:00"))))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("schedule"));
    assertThat(node.service().find(p.id()).orElseThrow().schedule())
        .isEqualTo(Schedule.daily("09:00"));
  }

  @Test
  void aNodeStartingAfterAChangeDoesNotCatchUpTheNewRulesRunsFromBeforeIt() {
    List<TestCluster.Node> nodes = nodes(1);
    Program p = nodes.get(0).service().create(request("c1", Schedule.daily("09:00")));
    fireUntil(NINE.plus(Duration.ofMinutes(20)), nodes);
    // 09:17 today passed before the change, within the misfire grace (5 minutes): it was never a
    // run of this program, so it is neither played late nor logged missed.
    nodes.get(0).service().update(p.id(), request("c1", Schedule.daily("09:17")));
    nodes.get(0).service().close();
    clock.advance(Duration.ofMinutes(1));

    TestCluster.Node second = cluster.manualNode(Map.of(), clock);
    fireUntil(NINE.plus(Duration.ofMinutes(30)), List.of(second));

    assertThat(second.dispatch().played).isEmpty();
    assertThat(second.service().runs(p.id()))
        .extracting(r -> r.scheduledAt().toInstant())
        .containsExactly(at(0));
    assertThat(second.service().armedRun(p.id())).contains(at(17).plus(Duration.ofDays(1)));
  }

  private static void awaitArmed(List<TestCluster.Node> nodes, String id, Instant run) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              for (TestCluster.Node n : nodes) {
                assertThat(n.service().armedRun(id)).as(n.service().nodeId()).contains(run);
              }
            });
  }

  private static List<PlayCommand> played(List<TestCluster.Node> nodes, String programId) {
    return nodes.stream()
        .flatMap(n -> n.dispatch().played.stream())
        .map(TestCluster.Played::command)
        .filter(c -> c.programId().equals(programId))
        .sorted(java.util.Comparator.comparing(PlayCommand::startAt))
        .toList();
  }

  private void fireUntil(Instant until, List<TestCluster.Node> nodes) {
    ManualFiring.fireUntil(clock, until, nodes, driver, new Random(7));
  }

  /** A daily program in the test's village: title, clip, time of day and last day (or null). */
  private static ProgramRequest inVillage(String title, String clipId, String at, String endDate) {
    return new ProgramRequest(
        title,
        clipId,
        null,
        List.of(TestCluster.VILLAGE),
        null,
        null,
        Schedule.daily(at),
        null,
        endDate);
  }

  private static Instant at(int minutesPastNine) {
    return NINE.plus(Duration.ofMinutes(minutesPastNine));
  }
}

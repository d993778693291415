package org.xiaolaba.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a terminal's status may confirm: the runs sent to that connection, each once. */
class TerminalRunsTest {
  @Test
  void aRunSentIsConfirmedOnceAndARunNeverSentNever() {
    TerminalRuns runs = new TerminalRuns();
    runs.sent("p_a:1000");
    assertThat(runs.confirm("p_a:1000")).isTrue();
    assertThat(runs.confirm("p_a:1000")).isFalse();
    assertThat(runs.confirm("p_other-village:1000")).isFalse();
  }

  @Test
  void aConfirmationBeforeItsPlayIsHeldAndCountedWhenThePlayGoesOut() {
    TerminalRuns runs = new TerminalRuns();
    assertThat(runs.confirm("p_a:1000")).isFalse();
    assertThat(runs.sent("p_b:2000")).isFalse();
    assertThat(runs.sent("p_a:1000")).isTrue();
    // The same play again (a lead time ahead, after a change) confirms nothing more.
    assertThat(runs.sent("p_a:1000")).isFalse();
    assertThat(runs.confirm("p_a:1000")).isFalse();
  }

  @Test
  void onlyTheLatestUnsentConfirmationIsHeld() {
    TerminalRuns runs = new TerminalRuns();
    for (int i = 0; i < 10_000; i++) runs.confirm("p_x:" + i);
    assertThat(runs.sent("p_x:0")).isFalse();
    assertThat(runs.sent("p_x:9999")).isTrue();
  }

  @Test
  void theRecordIsBoundedToTheLastRunsSent() {
    TerminalRuns runs = new TerminalRuns();
    for (int i = 0; i < TerminalRuns.KEPT + 10; i++) runs.sent("p_x:" + i);
    assertThat(runs.confirm("p_x:0")).isFalse();
    assertThat(runs.confirm("p_x:" + (TerminalRuns.KEPT + 9))).isTrue();
  }
}

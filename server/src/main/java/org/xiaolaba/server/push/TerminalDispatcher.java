package org.xiaolaba.server.push;

import org.xiaolaba.scheduler.DispatchPort;
import org.xiaolaba.scheduler.PlayCommand;
import org.xiaolaba.scheduler.PushCommand;
import org.xiaolaba.scheduler.StopCommand;
import org.xiaolaba.scheduler.TerminalSchedule;

/**
 * The scheduler's dispatch port: a program run becomes a {@code play} frame for its terminals, a
 * preempted or cancelled one a {@code stop} frame, routed alike through the push hub to every node.
 */
public final class TerminalDispatcher implements DispatchPort {
  private final PushHub hub;
  private final TerminalPresence presence;

  public TerminalDispatcher(PushHub hub, TerminalPresence presence) {
    this.hub = hub;
    this.presence = presence;
  }

  @Override
  public Delivery play(PlayCommand c) {
    hub.sendToTerminals(c.areas(), c.runId(), Frames.play(c));
    return presence.reachIn(hub.areas(), c.areas());
  }

  @Override
  public void stop(StopCommand c) {
    hub.sendToTerminals(c.areas(), null, Frames.stop(c));
  }

  @Override
  public String push(PushCommand c) {
    return hub.publish(
        PushRequest.toAreas(c.areas(), c.kind(), c.title(), c.body(), null), c.audioUrl());
  }

  /** Terminals that connect get their plays for the rest of the day from the scheduler. */
  @Override
  public void attach(TerminalSchedule schedule) {
    hub.attach(schedule);
  }
}

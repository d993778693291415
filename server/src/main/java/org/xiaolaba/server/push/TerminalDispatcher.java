package org.xiaolaba.server.push;

import java.util.LinkedHashMap;
import java.util.Map;
import org.xiaolaba.scheduler.DispatchPort;
import org.xiaolaba.scheduler.PlayCommand;
import org.xiaolaba.scheduler.PushCommand;

/** The scheduler's dispatch port: a program run becomes a {@code play} frame for its terminals. */
public final class TerminalDispatcher implements DispatchPort {
  private final PushHub hub;
  private final TerminalPresence presence;

  public TerminalDispatcher(PushHub hub, TerminalPresence presence) {
    this.hub = hub;
    this.presence = presence;
  }

  @Override
  public int play(PlayCommand c) {
    Map<String, Object> audio = new LinkedHashMap<>();
    audio.put("url", c.audioUrl());
    audio.put("durationMs", c.durationMs());
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("type", "play");
    frame.put("program", c.programId());
    frame.put("runId", c.runId());
    frame.put("title", c.title());
    frame.put("startAt", c.startAt().toString());
    frame.put("priority", c.priority());
    frame.put("audio", audio);
    hub.sendToTerminals(c.areas(), Frames.write(frame));
    return presence.onlineIn(hub.areas(), c.areas());
  }

  @Override
  public String push(PushCommand c) {
    return hub.publish(
        new PushRequest(c.areas(), c.kind(), c.title(), c.body(), null), c.audioUrl());
  }
}

package org.xiaolaba.scheduler;

/**
 * Where the scheduler hands what must go out. The scheduler never knows about sockets; the server
 * implements this with its push hub and delivers to every terminal in the command's areas, on
 * whichever node the terminal is connected.
 */
public interface DispatchPort {
  /**
   * Sends {@code play} to every terminal in {@code command.areas()} (areas cover their
   * descendants).
   *
   * @return how many terminals the command reached on this node (for the as-run log)
   */
  int play(PlayCommand command);

  /**
   * Pushes a message to the app residents of {@code command.areas()}, written to each area
   * channel's history.
   *
   * @return the push's id, for its delivery report
   */
  String push(PushCommand command);
}

package org.xiaolaba.scheduler;

/**
 * Where the scheduler hands what must go out. The scheduler never knows about sockets; the server
 * implements this with its push hub and delivers to every terminal in the command's areas, on
 * whichever node the terminal is connected.
 */
public interface DispatchPort {
  /** What a {@code play} reached: terminals in its areas, and of those the ones online. */
  record Delivery(int targeted, int reached) {
    public static final Delivery NONE = new Delivery(0, 0);

    public Delivery plus(Delivery other) {
      return new Delivery(targeted + other.targeted, reached + other.reached);
    }
  }

  /**
   * Sends {@code play} to every terminal in {@code command.areas()} (areas cover their
   * descendants).
   *
   * @return the terminals targeted and reached (for the as-run log)
   */
  Delivery play(PlayCommand command);

  /**
   * Sends {@code stop} to every terminal in {@code command.areas()}, with the same routing as
   * {@link #play}: the terminals stop (or drop) that run from {@code command.at()} on.
   */
  void stop(StopCommand command);

  /**
   * Pushes a message to the app residents of {@code command.areas()}, written to each area
   * channel's history.
   *
   * @return the push's id, for its delivery report
   */
  String push(PushCommand command);

  /**
   * Called once when the program scheduler starts: where the dispatcher asks for the plays of a
   * terminal that has just connected and hands on the runs terminals confirm playing. Ignored by
   * default.
   */
  default void attach(TerminalSchedule schedule) {}
}

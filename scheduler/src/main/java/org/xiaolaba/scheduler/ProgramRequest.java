package org.xiaolaba.scheduler;

import java.util.List;

/**
 * A program as a broadcaster asks for it ({@code POST /api/v1/programs}), unchecked: {@link
 * ProgramService#create} validates every field and names the one at fault.
 *
 * @param clipId the clip to play; exactly one of {@code clipId} and {@code source}
 * @param source what to play instead of a clip: {@code "bulletin"}, each area's daily bulletin of
 *     the day
 * @param priority {@code normal} (default), {@code high} or {@code emergency}
 * @param timezone IANA zone the schedule is read in; default the configured zone
 * @param startDate first day ({@code yyyy-MM-dd} in {@code timezone}) the program may play; none:
 *     from now
 * @param endDate last day ({@code yyyy-MM-dd} in {@code timezone}) the program may play; none: no
 *     end
 */
public record ProgramRequest(
    String title,
    String clipId,
    String source,
    List<String> areas,
    String priority,
    String timezone,
    Schedule schedule,
    String startDate,
    String endDate) {
  /** The same request naming these areas: the codes authorised, which are the ones stored. */
  public ProgramRequest withAreas(List<String> codes) {
    return new ProgramRequest(
        title, clipId, source, codes, priority, timezone, schedule, startDate, endDate);
  }
}

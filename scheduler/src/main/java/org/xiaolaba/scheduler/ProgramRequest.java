package org.xiaolaba.scheduler;

import java.util.List;

/**
 * A program as a broadcaster asks for it ({@code POST /api/v1/programs}), unchecked: {@link
 * ProgramService#create} validates every field and names the one at fault.
 *
 * @param clipId the clip to play; required for now
 * @param source what to play instead of a clip ({@code "bulletin"}); refused until the daily
 *     bulletin exists
 * @param priority {@code normal} (default), {@code high} or {@code emergency}
 * @param timezone IANA zone the schedule is read in; default the configured zone
 */
public record ProgramRequest(
    String title,
    String clipId,
    String source,
    List<String> areas,
    String priority,
    String timezone,
    Schedule schedule) {}

package org.xiaolaba.scheduler;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * When a program plays; exactly one field is set. All are read in the program's time zone.
 *
 * @param once an ISO-8601 instant with offset, e.g. {@code 2026-11-27T08:00:00+08:00}
 * @param daily a wall-clock time {@code HH:mm}
 * @param weekly days ({@code MON} .. {@code SUN}) and a wall-clock time {@code HH:mm}
 * @param cron a Quartz cron expression (seconds first), e.g. {@code 0 30 7 ? * MON-FRI}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Schedule(String once, String daily, Weekly weekly, String cron) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Weekly(List<String> days, String time) {}

  public static Schedule once(String isoWithOffset) {
    return new Schedule(isoWithOffset, null, null, null);
  }

  public static Schedule daily(String time) {
    return new Schedule(null, time, null, null);
  }

  public static Schedule weekly(List<String> days, String time) {
    return new Schedule(null, null, new Weekly(days, time), null);
  }

  public static Schedule cron(String expression) {
    return new Schedule(null, null, null, expression);
  }
}

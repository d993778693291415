package org.xiaolaba.server;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Valid JSON bodies for the routes that create programs and items, for tests that call them all.
 */
public final class RouteBodies {
  private RouteBodies() {}

  /**
   * A bulletin program in {@code area}, titled and timed by {@code n}: once, two days from now on
   * the hour plus {@code n} hours, so that programs with different {@code n} never conflict.
   */
  public static Map<String, Object> program(String area, int n) {
    OffsetDateTime at =
        OffsetDateTime.now(ZoneOffset.ofHours(8))
            .plusDays(2)
            .withMinute(0)
            .withSecond(0)
            .withNano(0)
            .plusHours(n);
    return Map.of(
        "title",
        "节目" + n,
        "source",
        "bulletin",
        "areas",
        List.of(area),
        "schedule",
        Map.of("once", at.toString()));
  }

  /** A notice item in {@code area} on {@code date} ({@code yyyy-MM-dd}). */
  public static Map<String, Object> item(String area, String date) {
    return Map.of(
        "kind", "notice", "title", "停电通知", "body", "明天停电。", "areas", List.of(area), "date", date);
  }
}

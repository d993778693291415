package org.xiaolaba.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads durations written as {@code 500ms}, {@code 60s}, {@code 5m}, {@code 2h} or ISO-8601. */
final class DurationText extends StdScalarDeserializer<Duration> {
  private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  DurationText() {
    super(Duration.class);
  }

  static Duration parse(String text) {
    String t = text.trim();
    Matcher m = SHORT.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(t);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "expected a duration such as 500ms, 60s, 5m, 2h or PT1M, got '" + text + "'");
    }
  }

  @Override
  public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (p.currentToken().isNumeric()) {
      return Duration.ofSeconds(p.getLongValue());
    }
    try {
      return parse(p.getValueAsString(""));
    } catch (IllegalArgumentException e) {
      return (Duration) ctxt.handleWeirdStringValue(Duration.class, p.getText(), e.getMessage());
    }
  }
}

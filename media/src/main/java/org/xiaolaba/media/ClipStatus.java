package org.xiaolaba.media;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Where a clip is in its life: being checked and transcoded, playable, or refused. */
public enum ClipStatus {
  PROCESSING,
  READY,
  FAILED;

  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package org.xiaolaba.config.errors;

/** A bounded queue is full; answered 503 with Retry-After. */
public class OverloadedException extends RuntimeException {
  private final int retryAfterSeconds;

  public OverloadedException(String detail, int retryAfterSeconds) {
    super(detail);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}

package org.xiaolaba.config.errors;

/** A named thing that does not exist; answered 404. */
public class NotFoundException extends RuntimeException {
  public NotFoundException(String detail) {
    super(detail);
  }
}

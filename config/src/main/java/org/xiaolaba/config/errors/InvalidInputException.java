package org.xiaolaba.config.errors;

/** Input that cannot be used; answered 400 with the field it names. */
public class InvalidInputException extends RuntimeException {
  private final String field;

  public InvalidInputException(String field, String detail) {
    super(detail);
    this.field = field;
  }

  /** The JSON field or parameter at fault, or null when the whole input is. */
  public String field() {
    return field;
  }
}

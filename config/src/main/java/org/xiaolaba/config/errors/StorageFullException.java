package org.xiaolaba.config.errors;

/** The disk has no room for what was sent; answered 507 after everything partial is removed. */
public class StorageFullException extends RuntimeException {
  public StorageFullException(String detail, Throwable cause) {
    super(detail, cause);
  }
}

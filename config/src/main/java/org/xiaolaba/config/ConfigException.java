package org.xiaolaba.config;

/**
 * A setting that cannot be used. The message names the key, the value given and what is allowed, so
 * an operator can fix the file or variable without reading code.
 */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }

  static ConfigException badValue(String key, Object value, String allowed) {
    return new ConfigException("config key '" + key + "' has value '" + value + "': " + allowed);
  }
}

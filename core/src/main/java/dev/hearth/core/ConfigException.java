package dev.hearth.core;

/** The configuration is wrong; the message names the file, the key and the offending value. */
public class ConfigException extends CoreException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}

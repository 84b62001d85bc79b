package dev.hearth.fcproc.client;

/** Firecracker's log levels, with the spelling the API expects. */
public enum LogLevel {
  ERROR("Error"),
  WARNING("Warning"),
  INFO("Info"),
  DEBUG("Debug"),
  TRACE("Trace"),
  OFF("Off");

  private final String apiName;

  LogLevel(String apiName) {
    this.apiName = apiName;
  }

  /** The value sent in {@code level}. */
  public String apiName() {
    return apiName;
  }
}

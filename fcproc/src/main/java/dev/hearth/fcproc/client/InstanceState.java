package dev.hearth.fcproc.client;

/** The {@code state} of {@code GET /}. */
public enum InstanceState {
  NOT_STARTED("Not started"),
  RUNNING("Running"),
  PAUSED("Paused");

  private final String apiName;

  InstanceState(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  static InstanceState fromApiName(String name) {
    for (InstanceState s : values()) {
      if (s.apiName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown instance state '" + name + "'");
  }
}

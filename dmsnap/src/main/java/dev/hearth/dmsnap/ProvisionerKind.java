package dev.hearth.dmsnap;

import java.util.Arrays;
import java.util.Optional;

/** The root-disk provisioners, by the names used in config and shown by doctor. */
public enum ProvisionerKind {
  /** A device-mapper {@code snapshot} of a read-only loop on the image, COW in a sparse file. */
  DM_SNAPSHOT("dm-snapshot"),
  /** A reflinked or sparse copy of the image, for hosts without device-mapper. */
  COPY("copy");

  private final String configName;

  ProvisionerKind(String configName) {
    this.configName = configName;
  }

  /** The name in config files and reports: {@code dm-snapshot} or {@code copy}. */
  public String configName() {
    return configName;
  }

  public static Optional<ProvisionerKind> fromConfigName(String name) {
    return Arrays.stream(values()).filter(k -> k.configName.equals(name)).findFirst();
  }

  @Override
  public String toString() {
    return configName;
  }
}

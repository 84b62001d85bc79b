package dev.hearth.dmsnap;

/** A device-mapper device stayed busy through every removal attempt. */
public class DeviceBusyException extends DiskRemoveException {
  private static final long serialVersionUID = 1L;

  private final String device;

  public DeviceBusyException(String device, int attempts, Throwable lastFailure) {
    super(
        "device-mapper device "
            + device
            + " is still busy after "
            + attempts
            + " removal attempts (is a VM still using it?)",
        lastFailure);
    this.device = device;
  }

  /** The device-mapper name, e.g. {@code hearth-0123abcd}. */
  public String device() {
    return device;
  }
}

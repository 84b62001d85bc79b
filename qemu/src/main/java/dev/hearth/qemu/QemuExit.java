package dev.hearth.qemu;

/**
 * How the QEMU of a {@link QemuBackend} ended.
 *
 * @param exitCode QEMU's exit code (128 + the signal when a signal ended it)
 * @param detail one line for people, naming QEMU and, on failure, the end of its stderr
 */
public record QemuExit(int exitCode, String detail) {
  /** The guest powered off or rebooted (QEMU runs with -no-reboot). */
  public boolean clean() {
    return exitCode == 0;
  }
}

package dev.hearth.daemon;

/**
 * One doctor check: a stable name (e.g. {@code kvm}), its status, what was found, and a one-line
 * fix (empty when the status is PASS).
 */
public record DoctorCheck(String name, Status status, String detail, String fix) {
  public enum Status {
    PASS,
    WARN,
    FAIL
  }
}

package dev.hearth.daemon;

import java.util.List;

/** Every doctor check, in a stable order. */
public record DoctorReport(List<DoctorCheck> checks) {
  public DoctorReport {
    checks = List.copyOf(checks);
  }

  /** Whether any check failed; the CLI exits non-zero then. */
  public boolean failed() {
    return checks.stream().anyMatch(c -> c.status() == DoctorCheck.Status.FAIL);
  }
}

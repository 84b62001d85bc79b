package dev.hearth.daemon;

import dev.hearth.daemon.internal.rpc.DaemonJson;
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

  /**
   * The report as {@code daemon.doctor} answers it: {@code {"checks": [{"name", "status", "detail",
   * "fix"}], "failed"}}. The one JSON form of a report, for the RPC and the CLI's {@code --json}.
   */
  public String toJson() {
    return DaemonJson.toJson(this).toString();
  }
}

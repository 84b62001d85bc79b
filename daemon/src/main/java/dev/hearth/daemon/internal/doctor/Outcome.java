package dev.hearth.daemon.internal.doctor;

import dev.hearth.daemon.DoctorCheck.Status;
import java.util.regex.Pattern;

/** One check's result before it is named: status, detail and fix, one line each. */
record Outcome(Status status, String detail, String fix) {
  private static final Pattern LINE_BREAKS = Pattern.compile("\\s*\\R\\s*");

  /** Details and fixes are one line each, even when they quote a command's stderr. */
  Outcome {
    detail = LINE_BREAKS.matcher(detail.strip()).replaceAll("; ");
    fix = LINE_BREAKS.matcher(fix.strip()).replaceAll("; ");
  }

  static Outcome pass(String detail) {
    return new Outcome(Status.PASS, detail, "");
  }

  static Outcome warn(String detail, String fix) {
    return new Outcome(Status.WARN, detail, fix);
  }

  static Outcome fail(String detail, String fix) {
    return new Outcome(Status.FAIL, detail, fix);
  }
}

package dev.hearth.core;

import java.util.regex.Pattern;

/**
 * One host check's result before the doctor names it: status, what was found, and a one-line fix
 * (empty on PASS). The leaves' check classes return these; the daemon's doctor puts them in order
 * under their names.
 */
public record CheckOutcome(Status status, String detail, String fix) {
  private static final Pattern LINE_BREAKS = Pattern.compile("\\s*\\R\\s*");

  /** How bad a finding is. */
  public enum Status {
    PASS,
    WARN,
    FAIL
  }

  /** Details and fixes are one line each, even when they quote a command's stderr. */
  public CheckOutcome {
    detail = LINE_BREAKS.matcher(detail.strip()).replaceAll("; ");
    fix = LINE_BREAKS.matcher(fix.strip()).replaceAll("; ");
  }

  public static CheckOutcome pass(String detail) {
    return new CheckOutcome(Status.PASS, detail, "");
  }

  public static CheckOutcome warn(String detail, String fix) {
    return new CheckOutcome(Status.WARN, detail, fix);
  }

  public static CheckOutcome fail(String detail, String fix) {
    return new CheckOutcome(Status.FAIL, detail, fix);
  }
}

package dev.hearth.core;

import java.nio.file.Path;
import java.util.Optional;

/** The doctor's checks of a host program on PATH, shared by the modules that run them. */
public final class HostTools {
  /** Ends the detail of a check whose program is missing. */
  public static final String NOT_FOUND = " not found on PATH";

  private HostTools() {}

  /** A program hearth cannot work without: its path, or FAIL with the package to install. */
  public static CheckOutcome required(HostProbe probe, String program, String debianPackage) {
    return probe
        .findExecutable(program)
        .map(path -> CheckOutcome.pass(path.toString()))
        .orElseGet(
            () -> CheckOutcome.fail(program + NOT_FOUND, "apt-get install " + debianPackage));
  }

  /** A host program a feature runs: its path, or {@code missing} naming what fails without it. */
  public static CheckOutcome neededBy(
      HostProbe probe,
      String program,
      String debianPackage,
      CheckOutcome.Status missing,
      String neededBy) {
    Optional<Path> found = probe.findExecutable(program);
    if (found.isPresent()) {
      return CheckOutcome.pass(found.get().toString());
    }
    return new CheckOutcome(
        missing, program + NOT_FOUND + ": " + neededBy, "apt-get install " + debianPackage);
  }
}

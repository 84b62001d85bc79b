package dev.hearth.cli;

import picocli.CommandLine.Parameters;

/** The {@code VM SESSION} pair that every command on one session starts with. */
final class SessionTarget {
  @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String vm;

  @Parameters(index = "1", paramLabel = "SESSION", description = "A session id, id prefix or name.")
  String session;
}

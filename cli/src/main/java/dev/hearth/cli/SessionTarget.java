package dev.hearth.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Parameters;

/** The {@code VM SESSION} pair that every command on one session starts with. */
final class SessionTarget {
  @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String vm;

  @Parameters(index = "1", paramLabel = "SESSION", description = "A session id, id prefix or name.")
  String session;

  /** The params naming this session, for the session.* methods. */
  ObjectNode params() {
    return Json.object().put("vm", vm).put("session", session);
  }
}

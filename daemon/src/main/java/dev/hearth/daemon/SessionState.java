package dev.hearth.daemon;

import java.util.Arrays;

/** Where a guest session stands; the wire's {@code state} words. */
public enum SessionState {
  /** Its command runs. */
  RUNNING("running"),
  /** Its command ended; the exit code is known. */
  EXITED("exited"),
  /** Its guest restarted or its processes were killed: the exit code is unknown. */
  LOST("lost");

  private final String wireName;

  SessionState(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /**
   * @throws HearthException {@code protocol} for a word the daemon does not use
   */
  public static SessionState fromWireName(String name) {
    return Arrays.stream(values())
        .filter(s -> s.wireName.equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new HearthException(
                    HearthException.Kind.PROTOCOL, "unknown session state '" + name + "'"));
  }
}

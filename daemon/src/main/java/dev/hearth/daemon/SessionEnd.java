package dev.hearth.daemon;

import java.util.Objects;
import java.util.OptionalInt;

/** How a session ended ({@link Sessions#await}): exited with a code, or lost without one. */
public record SessionEnd(SessionState state, OptionalInt exitCode) {
  public SessionEnd {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(exitCode, "exitCode");
  }
}

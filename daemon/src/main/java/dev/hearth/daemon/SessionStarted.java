package dev.hearth.daemon;

import java.util.Objects;
import java.util.Optional;

/** What {@link Sessions#start} answers once the command runs: the session's id and name. */
public record SessionStarted(String id, Optional<String> name) {
  public SessionStarted {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
  }
}

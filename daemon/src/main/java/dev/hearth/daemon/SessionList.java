package dev.hearth.daemon;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Sessions#list} answers: the sessions, with the VM each runs in, and the VMs whose
 * sessions could not be read (listing every VM goes on past one that fails).
 */
public record SessionList(List<Listed> sessions, List<Failure> failures) {
  public SessionList {
    sessions = List.copyOf(sessions);
    failures = List.copyOf(failures);
  }

  /** A session and the name of its VM. */
  public record Listed(String vm, Session session) {
    public Listed {
      Objects.requireNonNull(vm, "vm");
      Objects.requireNonNull(session, "session");
    }
  }

  /** A VM whose sessions could not be listed, and why. */
  public record Failure(String vm, String message) {
    public Failure {
      Objects.requireNonNull(vm, "vm");
      Objects.requireNonNull(message, "message");
    }
  }
}

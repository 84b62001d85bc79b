package dev.hearth.fcproc.process;

import dev.hearth.core.Posix;
import java.util.Optional;

/** Finds a host user by name: the seam between hearth and the host's user database. */
@FunctionalInterface
public interface UserLookup {

  /** The user named {@code name}, or empty when there is none. */
  Optional<VmUser> find(String name) throws InterruptedException;

  /** Through the host's user database as {@link Posix#user} reads it (NSS included). */
  static UserLookup of(Posix posix) {
    return name -> posix.user(name).map(u -> new VmUser(name, u.uid(), u.gid()));
  }
}

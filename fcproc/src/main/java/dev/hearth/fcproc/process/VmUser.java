package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

/**
 * The host user a VMM runs as (config {@code vm_user}), by name and numbers.
 *
 * @param name the user's name
 * @param uid its uid
 * @param gid its primary group's gid
 */
public record VmUser(String name, int uid, int gid) {
  public VmUser {
    requireNonNull(name, "name");
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("invalid uid " + uid + " or gid " + gid + " of " + name);
    }
  }
}

package dev.hearth.daemon;

import java.util.Objects;

/**
 * How a running VM's VMM is confined (issue 16): the uid it runs as, its cgroup and the limits
 * written there.
 *
 * @param uid the VMM's uid (never 0)
 * @param cgroup where its cgroup is, e.g. {@code v1:/hearth/vm-<id>}
 * @param limits the cgroup's limits for people, e.g. {@code memory 832 MiB, 512 processes, 1 CPUs}
 */
public record VmConfinement(int uid, String cgroup, String limits) {
  public VmConfinement {
    Objects.requireNonNull(cgroup, "cgroup");
    Objects.requireNonNull(limits, "limits");
  }
}

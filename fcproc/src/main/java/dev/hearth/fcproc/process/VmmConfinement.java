package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.ShellQuote;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How a VMM runs without root (ARCHITECTURE.md, "Unprivileged VMMs"): the wrapper that {@link
 * FirecrackerLauncher#spawn(LaunchSpec, VmmConfinement)} puts in front of the VMM's argv. Still as
 * root it writes its pid into the VM's cgroup ({@code cgroupProcs}, so that everything the VMM
 * starts is bounded), enters a mount namespace of its own ({@code unshare --mount}) where a tmpfs
 * covers each of {@code hidden} and only {@code shownWritable} (folders) and {@code shownReadOnly}
 * (files) are bound back at their own paths, then becomes {@code uid}/{@code gid} with only {@code
 * groups} as supplementary groups, no capabilities, an empty bounding set and no_new_privs ({@code
 * setpriv}). Every step is an {@code exec}, so the VMM keeps the pid the launcher recorded.
 *
 * <p>The folders and files shown are opened before anything is covered (descriptors 5 and up) and
 * bound from {@code /proc/self/fd}, so that one under a hidden folder stays reachable.
 *
 * @param uid the VMM's user (not 0)
 * @param gid its group
 * @param groups supplementary groups it keeps (the group of {@code /dev/kvm}, for instance)
 * @param cgroupProcs the {@code cgroup.procs} files of the VM's cgroup
 * @param hidden folders covered by an empty tmpfs in the VMM's mount namespace
 * @param shownWritable folders shown again, read-write, at their own paths
 * @param shownReadOnly files shown again, read-only, at their own paths
 */
public record VmmConfinement(
    int uid,
    int gid,
    List<Integer> groups,
    List<Path> cgroupProcs,
    List<Path> hidden,
    List<Path> shownWritable,
    List<Path> shownReadOnly) {

  /** Descriptors 5 to 9 hold the paths shown again while the namespace is set up. */
  static final int MAX_SHOWN = 5;

  private static final int FIRST_FD = 5;

  /** Joins each cgroup.procs file given before {@code --}, then execs the rest. */
  static final String JOIN_CGROUP_SCRIPT =
      "while [ \"$1\" != -- ]; do echo $$ >\"$1\" || exit 1; shift; done; shift; exec \"$@\"";

  public VmmConfinement {
    if (uid <= 0 || gid < 0) {
      throw new IllegalArgumentException(
          "a confined VMM runs as a uid other than 0, got uid " + uid + " gid " + gid);
    }
    groups = List.copyOf(requireNonNull(groups, "groups"));
    cgroupProcs = List.copyOf(requireNonNull(cgroupProcs, "cgroupProcs"));
    hidden = List.copyOf(requireNonNull(hidden, "hidden"));
    shownWritable = List.copyOf(requireNonNull(shownWritable, "shownWritable"));
    shownReadOnly = List.copyOf(requireNonNull(shownReadOnly, "shownReadOnly"));
    if (shownWritable.size() + shownReadOnly.size() > MAX_SHOWN) {
      throw new IllegalArgumentException(
          "a confined VMM is shown at most " + MAX_SHOWN + " paths of its hidden folders");
    }
    for (List<Path> paths : List.of(hidden, shownWritable, shownReadOnly)) {
      for (Path path : paths) {
        if (!path.isAbsolute() || !path.normalize().equals(path) || path.getParent() == null) {
          throw new IllegalArgumentException(
              "a confined VMM's hidden and shown paths are absolute, normal and not /: " + path);
        }
      }
    }
  }

  /** {@code vmm} (binary and arguments) behind the wrapper. */
  public List<String> wrap(List<String> vmm) {
    List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", JOIN_CGROUP_SCRIPT, "hearth-vmm"));
    cgroupProcs.forEach(p -> argv.add(p.toString()));
    argv.add("--");
    argv.addAll(
        List.of(
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            namespaceScript(),
            "hearth-vmm"));
    argv.add("setpriv");
    argv.add("--reuid=" + uid);
    argv.add("--regid=" + gid);
    argv.add(
        groups.isEmpty()
            ? "--clear-groups"
            : "--groups=" + groups.stream().map(String::valueOf).collect(Collectors.joining(",")));
    argv.addAll(List.of("--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"));
    argv.addAll(vmm);
    return List.copyOf(argv);
  }

  /**
   * Run as root in the new mount namespace: open what is shown, cover what is hidden (outer folders
   * first), bind the shown paths back, close the descriptors and exec the rest ({@code setpriv}).
   */
  String namespaceScript() {
    // umask 066: the folders made on the way to a shown path are 0711, searchable but not listable
    // by the VMM's user, like the host's own.
    List<String> lines = new ArrayList<>(List.of("set -e", "umask 066"));
    List<Path> shown = new ArrayList<>(shownWritable);
    shown.addAll(shownReadOnly);
    StringBuilder open = new StringBuilder();
    StringBuilder close = new StringBuilder();
    for (int i = 0; i < shown.size(); i++) {
      open.append(' ').append(FIRST_FD + i).append('<').append(q(shown.get(i)));
      close.append(' ').append(FIRST_FD + i).append("<&-");
    }
    if (!shown.isEmpty()) {
      lines.add("exec" + open);
    }
    for (Path folder :
        hidden.stream().sorted(Comparator.comparingInt(Path::getNameCount)).toList()) {
      lines.add("mkdir -p " + q(folder));
      lines.add(
          "mount -t tmpfs -o mode=0711,size=64k,nr_inodes=256,nosuid,nodev,noexec hearth-vmm "
              + q(folder));
    }
    for (int i = 0; i < shown.size(); i++) {
      Path path = shown.get(i);
      boolean readOnly = i >= shownWritable.size();
      lines.add("mkdir -p " + q(path.getParent()));
      lines.add(
          readOnly
              ? "[ -e " + q(path) + " ] || : >" + q(path)
              : "[ -d " + q(path) + " ] || mkdir " + q(path));
      lines.add("mount -c --bind /proc/self/fd/" + (FIRST_FD + i) + " " + q(path));
      if (readOnly) {
        lines.add("mount -c -o remount,bind,ro,nosuid,nodev " + q(path));
      }
    }
    if (!shown.isEmpty()) {
      lines.add("exec" + close);
    }
    lines.add("exec \"$@\"");
    return String.join("\n", lines) + "\n";
  }

  private static String q(Path path) {
    return ShellQuote.quote(path.toString());
  }
}

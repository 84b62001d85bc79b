package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.CgroupLimits;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.FcprocException;
import dev.hearth.fcproc.internal.ApiIds;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firecracker's jailer as hearth uses it (ARCHITECTURE.md, "Firecracker's jailer"): where the jails
 * go ({@code jailer_chroot_base}), whom firecracker runs as ({@code vm_user}), which cgroup
 * hierarchy holds it; {@link #prepare} makes one VM's jail and its command line, {@link #remove}
 * takes away all that a VM's jail left (the jail's folder, mounts and cgroup), and {@link
 * #jailedIds} lists the jails on the host for reconcile.
 */
public final class Jailer {
  private static final Logger log = LoggerFactory.getLogger(Jailer.class);

  /**
   * The memory a VMM may use beyond its guest's (its own code, the API server, device emulation):
   * the VM's cgroup gets guest memory + this, so that a VMM that grows past it is OOM-killed alone.
   */
  public static final long VMM_MEMORY_OVERHEAD_MIB = 128;

  /** The most tasks (threads included) of one VMM: a few of its own plus one per vCPU (<= 32). */
  public static final long VMM_MAX_TASKS = 128;

  private static final List<String> CONTROLLERS = List.of("memory", "cpu", "pids");

  private final Path chrootBase;
  private final String vmUser;
  private final UserLookup users;
  private final Runner runner;
  private final Mounts mounts;
  private final int ownerUid;
  private final int ownerGid;

  /**
   * @param chrootBase the jailer's {@code --chroot-base-dir} (absolute)
   * @param vmUser the user firecracker runs as (its name; looked up at each boot)
   * @param users how that name becomes a uid and gid
   * @param runner runs mount and umount
   * @param ownerUid who owns the VM's files when no VMM holds them (the daemon's user)
   * @param ownerGid and its group
   */
  public Jailer(
      Path chrootBase, String vmUser, UserLookup users, Runner runner, int ownerUid, int ownerGid) {
    this(chrootBase, vmUser, users, runner, Mounts.system(), ownerUid, ownerGid);
  }

  Jailer(
      Path chrootBase,
      String vmUser,
      UserLookup users,
      Runner runner,
      Mounts mounts,
      int ownerUid,
      int ownerGid) {
    this.chrootBase = requireNonNull(chrootBase, "chrootBase");
    if (!chrootBase.isAbsolute()) {
      throw new IllegalArgumentException("the jail folder must be absolute: " + chrootBase);
    }
    this.vmUser = requireNonNull(vmUser, "vmUser");
    this.users = requireNonNull(users, "users");
    this.runner = requireNonNull(runner, "runner");
    this.mounts = requireNonNull(mounts, "mounts");
    this.ownerUid = ownerUid;
    this.ownerGid = ownerGid;
  }

  public Path chrootBase() {
    return chrootBase;
  }

  /** The user firecracker runs as, looked up now. */
  public VmUser user() throws InterruptedException {
    VmUser user =
        users
            .find(vmUser)
            .orElseThrow(
                () ->
                    new FcprocException(
                        "vm_user '"
                            + vmUser
                            + "' does not exist on this host, so the jailer has no uid to run"
                            + " firecracker as; create it (useradd --system --no-create-home"
                            + " --shell /usr/sbin/nologin "
                            + vmUser
                            + ") or set vm_user"));
    if (user.uid() == 0 || user.gid() == 0) {
      throw new FcprocException(
          "vm_user '"
              + vmUser
              + "' is uid "
              + user.uid()
              + " gid "
              + user.gid()
              + ": the jailer would run firecracker as root; set vm_user to an unprivileged user");
    }
    return user;
  }

  /** The cgroup limits of a VM's firecracker: its vCPUs, its memory plus the VMM's overhead. */
  public static CgroupLimits limits(int vcpus, int memoryMib) {
    return new CgroupLimits(
        OptionalLong.of((memoryMib + VMM_MEMORY_OVERHEAD_MIB) << 20),
        OptionalLong.of(VMM_MAX_TASKS),
        OptionalDouble.of(vcpus));
  }

  /**
   * Makes the jail of VM {@code id} (an old one of that id is removed first) and the jailer's
   * command line for it; the caller puts the VM's files in with {@link JailedVm#share} and {@link
   * JailedVm#give} and removes it all with {@link #remove} when the VM is stopped.
   */
  public JailedVm prepare(Path jailerBin, Path firecracker, String id, CgroupLimits limits)
      throws InterruptedException {
    VmUser user = user();
    JailerCommand command =
        new JailerCommand(
            jailerBin,
            firecracker,
            id,
            user.uid(),
            user.gid(),
            chrootBase,
            cgroupVersion(),
            limits,
            JailerChroot.API_SOCKET);
    remove(id, List.of());
    JailerChroot chroot =
        new JailerChroot(
            chrootBase.resolve(firecracker.getFileName().toString()).resolve(id), runner, mounts);
    chroot.create(user.uid(), user.gid());
    return new JailedVm(chroot, command, user);
  }

  /**
   * The cgroup version the jailer is told to use: 2 when a cgroup2 mount offers the memory, cpu and
   * pids controllers, else 1 when each has a cgroup v1 mount, else none (no cgroup settings).
   */
  public OptionalInt cgroupVersion() {
    List<Mounts.Mount> all = mounts.all();
    for (Mounts.Mount m : all) {
      if (m.type().equals("cgroup2") && v2Controllers(m.point()).containsAll(CONTROLLERS)) {
        return OptionalInt.of(2);
      }
    }
    Set<String> v1 =
        all.stream()
            .filter(m -> m.type().equals("cgroup"))
            .flatMap(m -> m.options().stream())
            .collect(Collectors.toSet());
    return v1.containsAll(CONTROLLERS) ? OptionalInt.of(1) : OptionalInt.empty();
  }

  private static Set<String> v2Controllers(Path root) {
    try {
      return Set.of(Files.readString(root.resolve("cgroup.controllers")).strip().split("\\s+"));
    } catch (IOException e) {
      return Set.of();
    }
  }

  /** The API socket of VM {@code id}'s jail, when it has one. */
  public Optional<Path> apiSocket(String id) {
    return jails(id).stream().findFirst().map(JailerChroot::apiSocket);
  }

  /** The ids of every jail under the chroot base (whatever firecracker binary made it). */
  public Set<String> jailedIds() {
    Set<String> ids = new TreeSet<>();
    for (Path exec : children(chrootBase)) {
      for (Path jail : children(exec)) {
        ids.add(jail.getFileName().toString());
      }
    }
    return ids;
  }

  /**
   * Removes what VM {@code id}'s jails left: each jail (mounts inside unmounted, folder deleted),
   * the cgroup the jailer made for it (empty once firecracker is gone), and gives {@code owned}
   * (the VM's files that a jail made the VM user's) back to the daemon's user when there was a
   * jail. Nothing when there is none. Call it only once the VM's firecracker is gone.
   *
   * @throws FcprocException naming what could not be removed
   */
  public void remove(String id, List<Path> owned) throws InterruptedException {
    if (!ApiIds.INSTANCE_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a jail id: '" + id + "'");
    }
    List<JailerChroot> jails = jails(id);
    for (JailerChroot jail : jails) {
      jail.remove();
      log.debug("removed {}", jail);
    }
    for (Path group : cgroupFolders(id)) {
      try {
        Files.deleteIfExists(group);
      } catch (IOException e) {
        throw new FcprocException("cannot remove the jailer's cgroup " + group + ": " + e, e);
      }
    }
    // Only a jail gave them away; a VM started without one keeps its files as they are.
    for (Path file : jails.isEmpty() ? List.<Path>of() : owned) {
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        try {
          JailerChroot.chown(file, ownerUid, ownerGid);
        } catch (IOException e) {
          throw new FcprocException(
              "cannot give " + file + " back to uid " + ownerUid + ": " + e, e);
        }
      }
    }
  }

  private List<JailerChroot> jails(String id) {
    List<JailerChroot> found = new ArrayList<>();
    for (Path exec : children(chrootBase)) {
      Path jail = exec.resolve(id);
      if (Files.isDirectory(jail, LinkOption.NOFOLLOW_LINKS)) {
        found.add(new JailerChroot(jail, runner, mounts));
      }
    }
    return found;
  }

  /** {@code <hierarchy>/hearth-jailer/<id>} in every cgroup hierarchy that has one. */
  private List<Path> cgroupFolders(String id) {
    Set<Path> folders = new LinkedHashSet<>(); // cpu and cpuacct may share a mount
    for (Mounts.Mount m : mounts.all()) {
      if (m.type().equals("cgroup") || m.type().equals("cgroup2")) {
        folders.add(m.point().resolve(JailerCommand.PARENT_CGROUP).resolve(id));
      }
    }
    return folders.stream().filter(Files::isDirectory).toList();
  }

  private static List<Path> children(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          children.add(entry);
        }
      }
    } catch (IOException e) {
      throw new FcprocException("cannot list " + dir + ": " + e, e);
    }
    return children;
  }
}

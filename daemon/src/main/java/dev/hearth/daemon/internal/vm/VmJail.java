package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Cgroup;
import dev.hearth.core.CgroupException;
import dev.hearth.core.CgroupLimits;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.Sizes;
import dev.hearth.core.Store;
import dev.hearth.daemon.HearthException;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.process.VmmConfinement;
import dev.hearth.imagemgr.ImageCatalog.BootFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each VM's VMM unprivileged and bounded (issue 16, ARCHITECTURE.md "Unprivileged VMMs"):
 * before a boot, the VM's uid (vm_user's, or one of its own with vm_uid_per_vm), its cgroup {@code
 * hearth/vm-<tag>-<id>} with the limits of its size, its files and TAP given to that uid, and the
 * {@link VmmConfinement} that the launcher wraps the VMM in; after the VMM is gone, the cgroup
 * removed, the disk given back to root and the uid released. The {@code vm_confinement} table holds
 * what each running VM got, for {@code vm show}, for re-adoption and so that a uid is handed out
 * once.
 */
final class VmJail {
  private static final Logger log = LoggerFactory.getLogger(VmJail.class);
  private static final Path KVM = Path.of("/dev/kvm");
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  /** What a running VM's VMM got. */
  record Confinement(int uid, int gid, String cgroup, String limits) {}

  private final Config config;
  private final Layout layout;
  private final Store store;
  private final Posix posix;
  private final Cgroups cgroups;
  private final HostNetwork network;
  private final String cgroupPrefix;

  VmJail(
      Config config,
      Layout layout,
      Store store,
      Posix posix,
      Cgroups cgroups,
      HostNetwork network) {
    this.config = config;
    this.layout = layout;
    this.store = store;
    this.posix = posix;
    this.cgroups = cgroups;
    this.network = network;
    // vm-<tag>-<id>: another daemon's VMs on this host are never swept (Cgroups.ownerTag).
    this.cgroupPrefix = "vm-" + Cgroups.ownerTag(layout.vmsDir()) + "-";
  }

  /** Whether VMMs run confined ({@code vm_unprivileged}). */
  boolean enabled() {
    return config.vmUnprivileged();
  }

  /**
   * Sets everything up for the VM's VMM and returns the wrapper; none when {@code vm_unprivileged}
   * is false. On failure whatever was made is released.
   *
   * @throws HearthException precondition_failed when vm_user is missing, no uid is free or no
   *     cgroup can be made; host_error when a file or the TAP cannot be given to the uid
   */
  Optional<VmmConfinement> confine(Vm vm, BootFiles image) throws InterruptedException {
    if (!enabled()) {
      return Optional.empty();
    }
    Posix.User user =
        posix
            .user(config.vmUser())
            .orElseThrow(
                () ->
                    HearthException.preconditionFailed(
                        "vm_user '"
                            + config.vmUser()
                            + "' does not exist, so VM "
                            + vm.name()
                            + " cannot run unprivileged: create it (scripts/start.sh does:"
                            + " useradd --system --no-create-home --shell /usr/sbin/nologin "
                            + config.vmUser()
                            + ") or set vm_unprivileged = false"));
    if (!cgroups.available()) {
      throw HearthException.preconditionFailed(
          "VM "
              + vm.name()
              + " cannot be bounded: "
              + cgroups.describe()
              + " (set vm_unprivileged = false to run VMMs as root without limits)");
    }
    release(vm); // a leftover of an earlier boot
    CgroupLimits limits = config.vmLimits(vm.vcpus(), vm.memoryMib());
    Confinement confinement;
    Cgroup cgroup;
    synchronized (this) {
      int uid = config.vmUidPerVm() ? freeUid(vm) : user.uid();
      try {
        cgroup = cgroups.create(cgroupName(vm.id()), limits);
      } catch (CgroupException e) {
        throw HearthException.hostError(
            "cannot make the cgroup of VM " + vm.name() + ": " + e.getMessage());
      }
      confinement =
          new Confinement(uid, user.gid(), cgroup.describe(), limits.describe() + ioLimits());
      insert(vm.id(), confinement);
    }
    try {
      Path dir = layout.vmDir(vm.id());
      List<Path> owned = new ArrayList<>();
      owned.add(vm.rootDisk().orElseThrow().path());
      owned.add(dir.resolve(VmFiles.FIRECRACKER_LOG));
      owned.add(dir.resolve(VmFiles.METRICS));
      for (Path file : owned) {
        giveTo(file, confinement.uid(), confinement.gid());
      }
      List<Path> readOnly = new ArrayList<>(List.of(image.kernel()));
      image.initrd().ifPresent(readOnly::add);
      for (Path file : readOnly) {
        worldReadable(file);
      }
      socketsFolder(user.gid());
      network.ownTap(vm.tap(), confinement.uid());
      List<Integer> groups = new ArrayList<>();
      kvmGroup().ifPresent(groups::add);
      return Optional.of(
          new VmmConfinement(
              confinement.uid(),
              confinement.gid(),
              groups,
              cgroup.procsFiles(),
              List.of(layout.stateDir(), layout.runtimeDir()),
              List.of(dir, layout.vmSocketsDir()),
              readOnly));
    } catch (IOException | RuntimeException | InterruptedException e) {
      try {
        release(vm);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      if (e instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      if (e instanceof HearthException hearth) {
        throw hearth;
      }
      throw HearthException.hostError(
          "cannot give VM " + vm.name() + "'s files to its VMM's uid: " + e.getMessage());
    }
  }

  /**
   * After the VM's VMM is gone (or before a boot): its cgroup removed, its disk given back to root,
   * its uid released. Safe to repeat.
   */
  void release(Vm vm) {
    if (!enabled() && find(vm.id()).isEmpty()) {
      return;
    }
    try {
      cgroups.remove(cgroupName(vm.id()));
    } catch (RuntimeException e) {
      log.warn("cannot remove the cgroup of VM {} ({}): {}", vm.name(), vm.id(), e.getMessage());
    }
    if (vm.rootDisk().isPresent()) {
      Path disk = vm.rootDisk().get().path();
      try {
        if (Files.exists(disk)) {
          giveTo(disk, 0, 0);
        }
      } catch (IOException e) {
        log.warn("cannot give the disk {} of VM {} back to root: {}", disk, vm.name(), e);
      }
    }
    delete(vm.id());
  }

  /** The confinement of a running VM, if it has one. */
  Optional<Confinement> find(String vmId) {
    return store.read(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "SELECT uid, gid, cgroup, limits FROM vm_confinement WHERE vm_id = ?")) {
            st.setString(1, vmId);
            try (ResultSet rs = st.executeQuery()) {
              return rs.next()
                  ? Optional.of(
                      new Confinement(rs.getInt(1), rs.getInt(2), rs.getString(3), rs.getString(4)))
                  : Optional.empty();
            }
          }
        });
  }

  /**
   * Reconcile: the cgroups and confinement rows of VMs whose VMM no longer runs (or that are gone),
   * left by a crash, are removed.
   */
  void sweep(List<Vm> kept, Set<String> runningIds) {
    for (Vm vm : kept) {
      if (!runningIds.contains(vm.id()) && find(vm.id()).isPresent()) {
        release(vm);
      }
    }
    Set<String> keptIds = new HashSet<>();
    kept.forEach(v -> keptIds.add(v.id()));
    for (String id : rowIds()) {
      if (!keptIds.contains(id)) {
        delete(id);
      }
    }
    List<String> names;
    try {
      names = cgroups.existing(cgroupPrefix);
    } catch (RuntimeException e) {
      log.warn("cannot list hearth's cgroups: {}", e.getMessage());
      return;
    }
    for (String name : names) {
      if (!runningIds.contains(name.substring(cgroupPrefix.length()))) {
        try {
          cgroups.remove(name);
          log.info("removed the cgroup hearth/{} of no running VM", name);
        } catch (RuntimeException e) {
          log.warn("cannot remove the leftover cgroup hearth/{}: {}", name, e.getMessage());
        }
      }
    }
  }

  String cgroupName(String vmId) {
    return cgroupPrefix + vmId;
  }

  /** The lowest uid of vm_uid_range that no running VM holds. */
  private int freeUid(Vm vm) {
    Set<Long> taken = new HashSet<>();
    store.read(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement("SELECT uid FROM vm_confinement WHERE vm_id <> ?")) {
            st.setString(1, vm.id());
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                taken.add(rs.getLong(1) & 0xffffffffL);
              }
            }
          }
          return null;
        });
    for (long uid = config.vmUidFirst(); uid <= config.vmUidLast(); uid++) {
      if (!taken.contains(uid)) {
        return (int) uid;
      }
    }
    throw HearthException.preconditionFailed(
        "every uid of vm_uid_range ("
            + config.vmUidFirst()
            + "-"
            + config.vmUidLast()
            + ") is held by a running VM; VM "
            + vm.name()
            + " cannot start until one stops");
  }

  private void insert(String vmId, Confinement confinement) {
    store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "INSERT OR REPLACE INTO vm_confinement (vm_id, uid, gid, cgroup, limits)"
                      + " VALUES (?,?,?,?,?)")) {
            st.setString(1, vmId);
            st.setInt(2, confinement.uid());
            st.setInt(3, confinement.gid());
            st.setString(4, confinement.cgroup());
            st.setString(5, confinement.limits());
            return st.executeUpdate();
          }
        });
  }

  private void delete(String vmId) {
    store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement("DELETE FROM vm_confinement WHERE vm_id = ?")) {
            st.setString(1, vmId);
            return st.executeUpdate();
          }
        });
  }

  private List<String> rowIds() {
    return store.read(
        c -> {
          List<String> ids = new ArrayList<>();
          try (PreparedStatement st = c.prepareStatement("SELECT vm_id FROM vm_confinement");
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getString(1));
            }
          }
          return ids;
        });
  }

  /** The file (a device node through its link) owned by uid and gid, mode 0600. */
  private static void giveTo(Path file, int uid, int gid) throws IOException {
    Path target = file.toRealPath();
    Files.setAttribute(target, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(target, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setPosixFilePermissions(target, OWNER_ONLY);
  }

  /**
   * An image's kernel or initrd readable by others: the image folder (0700) keeps them from every
   * user of the host; only a VMM's mount namespace shows them, read-only.
   */
  private static void worldReadable(Path file) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
    if (permissions.add(PosixFilePermission.OTHERS_READ)) {
      Files.setPosixFilePermissions(file, permissions);
    }
  }

  /**
   * The API sockets' folder: root's, writable and searchable by the VMMs' group but not listable,
   * sticky (no VMM removes another's socket).
   */
  private void socketsFolder(int gid) throws IOException {
    Path folder = layout.vmSocketsDir();
    Files.createDirectories(folder);
    Files.setAttribute(folder, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(folder, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(folder, "unix:mode", 01730, LinkOption.NOFOLLOW_LINKS);
  }

  /** The group of {@code /dev/kvm}, which the VMM keeps so that KVM stays usable to it. */
  private static Optional<Integer> kvmGroup() {
    try {
      if (!Files.exists(KVM)) {
        return Optional.empty();
      }
      int gid = (Integer) Files.getAttribute(KVM, "unix:gid");
      return gid == 0 ? Optional.empty() : Optional.of(gid);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  /** The disk and network rates the boot gives the VMM, as {@code vm show} lists them. */
  private String ioLimits() {
    StringBuilder text = new StringBuilder();
    if (config.vmDiskBandwidth() > 0) {
      text.append(", disk ").append(Sizes.format(config.vmDiskBandwidth())).append("/s");
    }
    if (config.vmDiskIops() > 0) {
      text.append(", ").append(config.vmDiskIops()).append(" disk ops/s");
    }
    if (config.vmNetBandwidth() > 0) {
      text.append(", network ").append(Sizes.format(config.vmNetBandwidth())).append("/s each way");
    }
    return text.toString();
  }
}

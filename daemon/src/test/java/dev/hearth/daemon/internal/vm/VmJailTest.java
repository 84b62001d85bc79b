package dev.hearth.daemon.internal.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Cgroup;
import dev.hearth.core.CgroupLimits;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Layout;
import dev.hearth.core.Store;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.RootDisk;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.TapGuest;
import dev.hearth.fcproc.process.VmmConfinement;
import dev.hearth.imagemgr.ImageCatalog.BootFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link VmJail} sets up per boot and releases (on fakes of the cgroups and the host network):
 * uids handed out from vm_uid_range and released, cgroups made with the VM's limits and swept when
 * no VMM runs, the wrapper's paths.
 */
class VmJailTest {
  @TempDir Path dir;

  final FakePosix posix = new FakePosix(0, 0).user("hearth-vm", 995, 995);
  final RecordingCgroups cgroups = new RecordingCgroups();
  final List<String> ownedTaps = new ArrayList<>();
  Layout layout;
  Store store;
  Path kernel;

  @BeforeEach
  void setUp() throws Exception {
    Config config = config(false);
    layout = Layout.of(config);
    Files.createDirectories(layout.stateDir());
    store = Store.open(layout.stateDir().resolve("hearth.db"));
    kernel = Files.createDirectories(layout.imageDir("base")).resolve("vmlinux");
    Files.writeString(kernel, "kernel");
    Files.setPosixFilePermissions(kernel, Set.of());
  }

  @AfterEach
  void close() {
    store.close();
  }

  Config config(boolean perVm) {
    return Config.defaults()
        .with(ConfigKey.STATE_DIR, dir.resolve("state").toString())
        .with(ConfigKey.RUNTIME_DIR, dir.resolve("run").toString())
        .with(ConfigKey.VM_UID_PER_VM, Boolean.toString(perVm))
        .with(ConfigKey.VM_UID_RANGE, "5000-5001");
  }

  /** The cgroup of VM {@code id}: tagged with this daemon's state (Cgroups.ownerTag). */
  String group(String id) {
    return "vm-" + Cgroups.ownerTag(layout.vmsDir()) + "-" + id;
  }

  VmJail jail(Config config) {
    return new VmJail(config, layout, store, posix, cgroups, network());
  }

  Vm vm(String id) throws Exception {
    Path vmDir = Files.createDirectories(layout.vmDir(id));
    Path disk = Files.writeString(vmDir.resolve("rootfs.ext4"), "disk");
    Files.writeString(vmDir.resolve(VmFiles.FIRECRACKER_LOG), "");
    Files.writeString(vmDir.resolve(VmFiles.METRICS), "");
    return new Vm(
        id,
        "vm-" + id,
        VmState.STARTING,
        "10.242.0.2",
        "06:00:0a:f2:00:02",
        "htap" + id,
        "base",
        2,
        512,
        4096,
        "copy",
        Instant.EPOCH,
        Optional.empty(),
        Optional.of(new RootDisk(id, ProvisionerKind.COPY, disk, 4096, disk, List.of(), List.of())),
        Optional.empty(),
        "console=ttyS0",
        Optional.empty());
  }

  BootFiles image() {
    return new BootFiles(kernel, kernel, Optional.empty(), Optional.empty());
  }

  @Test
  void eachVmGetsTheLowestFreeUidOfTheRangeUntilItIsReleased() throws Exception {
    VmJail jail = jail(config(true));
    Vm a = vm("aa");
    Vm b = vm("bb");
    Vm c = vm("cc");

    VmmConfinement first = jail.confine(a, image()).orElseThrow();
    VmmConfinement second = jail.confine(b, image()).orElseThrow();

    assertThat(first.uid()).isEqualTo(5000);
    assertThat(second.uid()).isEqualTo(5001);
    assertThat(first.gid()).isEqualTo(995);
    assertThatThrownBy(() -> jail.confine(c, image()))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("vm_uid_range (5000-5001)")
        .hasMessageContaining("vm-cc");
    assertThat(cgroups.groups).containsOnlyKeys(group("aa"), group("bb"));

    jail.release(a);

    assertThat(jail.find("aa")).isEmpty();
    assertThat(cgroups.groups).containsOnlyKeys(group("bb"));
    assertThat(Files.getAttribute(a.rootDisk().get().path(), "unix:uid")).isEqualTo(0);
    assertThat(jail.confine(c, image()).orElseThrow().uid()).isEqualTo(5000);
  }

  @Test
  void theConfiguredDiskAndNetworkRatesAreListedWithTheLimits() throws Exception {
    VmJail jail =
        jail(
            config(false)
                .with(ConfigKey.VM_DISK_BANDWIDTH, "8MiB")
                .with(ConfigKey.VM_DISK_IOPS, "400")
                .with(ConfigKey.VM_NET_BANDWIDTH, "1536KiB"));

    jail.confine(vm("aa"), image()).orElseThrow();

    assertThat(jail.find("aa").orElseThrow().limits())
        .isEqualTo(
            "memory 2 GiB, 512 processes, 2 CPUs, disk 8 MiB/s, 400 disk ops/s,"
                + " network 1.5 MiB/s each way");
  }

  @Test
  void theSharedUserIsUsedByDefaultWithTheLimitsOfTheVmsSize() throws Exception {
    VmJail jail = jail(config(false));
    Vm vm = vm("aa");

    VmmConfinement confinement = jail.confine(vm, image()).orElseThrow();

    assertThat(confinement.uid()).isEqualTo(995);
    assertThat(cgroups.groups.get(group("aa")))
        .isEqualTo(config(false).vmLimits(vm.vcpus(), vm.memoryMib()));
    assertThat(jail.find("aa").orElseThrow())
        .isEqualTo(
            new VmJail.Confinement(
                995, 995, "fake:/hearth/" + group("aa"), "memory 2 GiB, 512 processes, 2 CPUs"));
    assertThat(ownedTaps).containsExactly("htapaa:995");
    Path disk = vm.rootDisk().get().path();
    assertThat(Files.getAttribute(disk, "unix:uid")).isEqualTo(995);
    assertThat(Files.getAttribute(disk, "unix:mode")).isEqualTo(0100600);
    assertThat(Files.getAttribute(kernel, "unix:mode")).isEqualTo(0100004);
    assertThat(confinement.hidden()).containsExactly(layout.stateDir(), layout.runtimeDir());
    assertThat(confinement.shownWritable())
        .containsExactly(layout.vmDir("aa"), layout.vmSocketsDir());
    assertThat(confinement.shownReadOnly()).containsExactly(kernel);
    assertThat(Files.getAttribute(layout.vmSocketsDir(), "unix:mode")).isEqualTo(041730);
  }

  @Test
  void aMissingUserIsRefusedNamingItAndHowToMakeIt() throws Exception {
    VmJail jail = new VmJail(config(false), layout, store, new FakePosix(0, 0), cgroups, network());

    assertThatThrownBy(() -> jail.confine(vm("aa"), image()))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("vm_user 'hearth-vm' does not exist")
        .hasMessageContaining("useradd");
    assertThat(cgroups.groups).isEmpty();
  }

  @Test
  void withVmUnprivilegedFalseNothingIsConfined() throws Exception {
    VmJail jail = jail(config(false).with(ConfigKey.VM_UNPRIVILEGED, "false"));

    assertThat(jail.confine(vm("aa"), image())).isEmpty();
    assertThat(cgroups.groups).isEmpty();
  }

  @Test
  void sweepRemovesTheCgroupsAndRowsOfVmsWhoseVmmNoLongerRuns() throws Exception {
    VmJail jail = jail(config(true));
    Vm running = vm("aa");
    Vm crashed = vm("bb");
    jail.confine(running, image());
    jail.confine(crashed, image());
    CgroupLimits limits = cgroups.groups.get(group("aa"));
    cgroups.groups.put(group("cc"), limits); // a VM deleted meanwhile
    cgroups.groups.put("build-base", limits); // not a VM's
    cgroups.groups.put("vm-ffffffff-dd", limits); // another daemon's (another state folder)

    jail.sweep(List.of(running, crashed), Set.of("aa"));

    assertThat(cgroups.groups).containsOnlyKeys(group("aa"), "build-base", "vm-ffffffff-dd");
    assertThat(jail.find("aa")).isPresent();
    assertThat(jail.find("bb")).isEmpty();
  }

  /** Groups by name with their limits; nothing on the host. */
  static final class RecordingCgroups implements Cgroups {
    final Map<String, CgroupLimits> groups = new TreeMap<>();

    @Override
    public boolean available() {
      return true;
    }

    @Override
    public String describe() {
      return "fake cgroups";
    }

    @Override
    public Cgroup create(String name, CgroupLimits limits) {
      groups.put(name, limits);
      return new Cgroup() {
        @Override
        public String describe() {
          return "fake:/hearth/" + name;
        }

        @Override
        public List<Path> procsFiles() {
          return List.of(Path.of("/fake/hearth", name, "cgroup.procs"));
        }

        @Override
        public void add(int pid) {}

        @Override
        public void close() {
          groups.remove(name);
        }
      };
    }

    @Override
    public List<String> existing(String prefix) {
      return groups.keySet().stream().filter(name -> name.startsWith(prefix)).toList();
    }

    @Override
    public void remove(String name) {
      groups.remove(name);
    }
  }

  HostNetwork network() {
    return new HostNetwork() {
      @Override
      public void ensure() {}

      @Override
      public String tapName(int index) {
        return "htap" + index;
      }

      @Override
      public void createTap(String tap) {}

      @Override
      public void attachTap(String tap) {}

      @Override
      public void ownTap(String tap, int uid) {
        ownedTaps.add(tap + ":" + uid);
      }

      @Override
      public void guardTap(String tap, TapGuest guest) {}

      @Override
      public void limitTap(String tap, long bytesPerSecond) {}

      @Override
      public void unguardTap(String tap) {}

      @Override
      public void deleteTap(String tap) {}

      @Override
      public List<String> listTaps() {
        return List.of();
      }
    };
  }
}

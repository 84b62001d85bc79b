package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.Cgroup;
import dev.hearth.core.CgroupLimits;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Runner;
import dev.hearth.core.StateChecks;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.dmsnap.DiskChecks;
import dev.hearth.fcproc.KvmStatus;
import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.VmmChecks;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.dns.DnsChecks;
import dev.hearth.fcproc.dns.ResolvedLink;
import dev.hearth.fcproc.net.NetworkChecks;
import dev.hearth.imagemgr.ImageToolChecks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doctor on fakes: a host on which every check passes, which each test breaks in one place (the
 * doctor tests by area extend it).
 */
abstract class DoctorFixture {
  static final List<String> CHECK_NAMES =
      List.of(
          "kvm",
          "vmm",
          "firecracker",
          "qemu-system-x86_64",
          "setpriv",
          "jailer",
          "device-mapper",
          "disk-provisioner",
          "losetup",
          "ip",
          "firewall",
          "nft-bridge",
          "tun",
          "ip-forward",
          "bridge-cidr",
          "dns-port",
          "dns-upstream",
          "dns-host",
          "egress",
          "setsid",
          "debugfs",
          "e2fsck",
          "resize2fs",
          "debootstrap",
          "debootstrap-keyring",
          "mkfs.ext4",
          "xz",
          "tar",
          "state-dir",
          "reflink",
          "runtime-dir",
          "socket-group",
          "sqlite",
          "ssh-key",
          "quarantine",
          "privileges",
          "cgroups",
          "vm-user");

  static final long GIB = 1L << 30;

  /** A host whose cgroups the doctor finds usable (the doctor only asks, it makes no group). */
  static final Cgroups MOUNTED_CGROUPS =
      new Cgroups() {
        @Override
        public boolean available() {
          return true;
        }

        @Override
        public String describe() {
          return "cgroup v2 (/sys/fs/cgroup)";
        }

        @Override
        public Cgroup create(String name, CgroupLimits limits) {
          throw new UnsupportedOperationException("the doctor makes no cgroup");
        }

        @Override
        public List<String> existing(String prefix) {
          throw new UnsupportedOperationException("the doctor lists no cgroup");
        }

        @Override
        public void remove(String name) {
          throw new UnsupportedOperationException("the doctor removes no cgroup");
        }
      };

  static final String FIRECRACKER = "/usr/local/bin/firecracker";
  static final String LAUNCHER = "/opt/hearth/bin/hearth-qemu-firecracker";
  static final String SEARCH_PATH = "/usr/local/bin:/usr/bin";
  static final KvmStatus KVM_WORKS =
      new KvmStatus(KvmStatus.Kind.USABLE, "/dev/kvm opens for reading and writing");
  static final KvmStatus NO_KVM = new KvmStatus(KvmStatus.Kind.MISSING, "there is no /dev/kvm");
  static final KvmStatus PVM_KVM =
      new KvmStatus(
          KvmStatus.Kind.PVM,
          "/dev/kvm is PVM's (module kvm_pvm is loaded), which boots only guest kernels built for"
              + " PVM");
  static final KvmStatus KVM_DENIED =
      new KvmStatus(
          KvmStatus.Kind.NO_ACCESS,
          "/dev/kvm cannot be opened for reading and writing (permission denied)");
  static final String IP = "/usr/sbin/ip";
  static final String SSH_KEY = "/var/lib/hearth/ssh/id_ed25519";
  static final String TUNTAP_USAGE =
      "Usage: ip tuntap { add | del | show | list | lst | help } [ dev PHYS_DEV ]\n"
          + "       [ mode { tun | tap } ] [ user USER ] [ group GROUP ]\n";

  static final String ROUTES =
      "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\",\"flags\":[]},"
          + "{\"dst\":\"192.0.2.0/24\",\"dev\":\"eth0\",\"protocol\":\"kernel\",\"scope\":\"link\","
          + "\"prefsrc\":\"192.0.2.2\",\"flags\":[]}]";

  final FakeRunner runner = new FakeRunner();
  final FakeHostProbe probe = new FakeHostProbe();
  FakePosix posix = new FakePosix(0, 0).group("hearth", 990).user("hearth-vm", 995, 995);
  Config config = Config.defaults();
  Cgroups cgroups = MOUNTED_CGROUPS;
  KvmStatus kvm = KVM_WORKS;
  Optional<Path> hearthHome = Optional.of(Path.of("/opt/hearth"));

  /** Upstream resolvers (address:port) that do not answer doctor's question. */
  final java.util.Set<String> deadUpstreams = new java.util.HashSet<>();

  /** Stands in for /dev/mapper/control, for the device-mapper probe. */
  @TempDir Path devMapper;

  Path mapperControl;

  /** A host on which every check passes; each test breaks one thing. */
  @BeforeEach
  void healthyHost() throws IOException {
    mapperControl = Files.createFile(devMapper.resolve("control"));
    probe
        .file("/dev/kvm", 0660, 0)
        .readWrite("/dev/kvm", true)
        .onPath("firecracker", FIRECRACKER)
        .onPath("jailer", "/usr/local/bin/jailer")
        .executable(LAUNCHER)
        .onPath("qemu-system-x86_64", "/usr/bin/qemu-system-x86_64")
        .onPath("setpriv", "/usr/bin/setpriv")
        .onPath("setsid", "/usr/bin/setsid")
        .onPath("unshare", "/usr/bin/unshare")
        .onPath("mount", "/usr/bin/mount")
        .onPath("debugfs", "/usr/sbin/debugfs")
        .onPath("e2fsck", "/usr/sbin/e2fsck")
        .onPath("resize2fs", "/usr/sbin/resize2fs")
        .onPath("debootstrap", "/usr/sbin/debootstrap")
        .file("/usr/share/keyrings/debian-archive-keyring.gpg", 0644, 0)
        .onPath("mkfs.ext4", "/usr/sbin/mkfs.ext4")
        .onPath("xz", "/usr/bin/xz")
        .onPath("tar", "/usr/bin/tar")
        .onPath("losetup", "/usr/sbin/losetup")
        .onPath("ip", IP)
        .onPath("nft", "/usr/sbin/nft")
        .file("/dev/net/tun", 0666, 0)
        .text("/proc/sys/net/ipv4/ip_forward", "1\n")
        .dir("/var", 0755, 0)
        .dir("/var/lib", 0755, 0)
        .dir("/var/lib/hearth", 0755, 0)
        .space("/var/lib/hearth", 50 * GIB)
        .dir("/run", 0755, 0)
        .readWrite("/run", true)
        .dir("/run/hearth", 0755, 0)
        .file(SSH_KEY, 0600, 0)
        .file("/etc/resolv.conf", 0644, 0)
        .text("/etc/resolv.conf", "nameserver 192.0.2.1\n")
        .onPath("resolvectl", "/usr/bin/resolvectl")
        .dir("/run/systemd/resolve", 0755, 0);
    runner
        .on(
            List.of(FIRECRACKER, "--version"),
            0,
            "Firecracker v1.7.0\n\nSupported snapshot data format versions: v1.0.0\n",
            "")
        .on(
            List.of("dmsetup", "targets"),
            0,
            "snapshot-merge   v1.5.0\nsnapshot-origin  v1.9.0\nsnapshot         v1.16.0\n"
                + "linear           v1.4.0\n",
            "")
        .on(List.of(IP, "-j", "route", "show"), 0, ROUTES, "")
        .on(List.of("/usr/sbin/nft", "-c", "-f", "-"), 0, "", "")
        .on(List.of("ip", "tuntap", "help"), 255, "", TUNTAP_USAGE);
  }

  DoctorReport report() throws InterruptedException {
    return doctor(runner).check();
  }

  Doctor doctor(Runner commands) {
    VmmSelector selector =
        new VmmSelector(SEARCH_PATH, hearthHome, QemuAccel.AUTO, probe::isExecutable, () -> kvm);
    return new Doctor(
        new Doctor.Checks(
            new VmmChecks(config, commands, posix, probe, selector),
            new NetworkChecks(config, commands, probe, probe),
            new DiskChecks(
                config,
                probe,
                new DeviceMapperProbe(commands, mapperControl, devMapper.resolve("no-modules")),
                probe),
            new ImageToolChecks(probe),
            new StateChecks(config, posix, probe),
            cgroups,
            new DnsChecks(
                config,
                probe,
                new ResolvedLink(commands, probe),
                upstream ->
                    !deadUpstreams.contains(
                        upstream.getAddress().getHostAddress() + ":" + upstream.getPort()))));
  }

  DoctorCheck check(String name) throws InterruptedException {
    return check(report(), name);
  }

  static DoctorCheck check(DoctorReport report, String name) {
    return report.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  void configure(ConfigKey key, String value) {
    config = config.with(key, value);
  }
}

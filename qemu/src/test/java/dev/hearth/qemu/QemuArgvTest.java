package dev.hearth.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.MachineConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import dev.hearth.fcproc.client.RateLimiter;
import dev.hearth.fcproc.client.TokenBucket;
import dev.hearth.fcproc.server.VmSetup;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QemuArgvTest {
  static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
  static final Path QMP = Path.of("/run/hearth/vms/abc.sock.qmp");
  static final String HEARTH_ARGS =
      "console=ttyS0 reboot=k panic=1 pci=off ip=10.77.0.2::10.77.0.1";

  static VmSetup setup(
      Optional<String> bootArgs, Optional<Path> initrd, List<Drive> drives, int vcpus, int mib) {
    return new VmSetup(
        "vm-1",
        new MachineConfig(vcpus, mib),
        new BootSource(Path.of("/img/vmlinux"), bootArgs, initrd),
        drives,
        List.of(new NetworkInterface("eth0", "htap3", "06:00:0a:4d:00:02")),
        Optional.empty(),
        Optional.empty());
  }

  static VmSetup hearthSetup() {
    return setup(
        Optional.of(HEARTH_ARGS),
        Optional.of(Path.of("/img/initrd")),
        List.of(new Drive("rootfs", Path.of("/vms/1/root.ext4"), true, false)),
        2,
        512);
  }

  /** The value after the n-th occurrence of an option. */
  static String value(List<String> argv, String option, int n) {
    int seen = 0;
    for (int i = 0; i < argv.size() - 1; i++) {
      if (argv.get(i).equals(option) && seen++ == n) {
        return argv.get(i + 1);
      }
    }
    throw new AssertionError(option + " #" + n + " not in " + argv);
  }

  @Test
  void kvmRunsTheHostCpuAndLeavesTheTscAlone() {
    List<String> argv =
        QemuArgv.build(QEMU, hearthSetup(), QemuAccel.KVM, OptionalLong.of(2596146), QMP);

    assertThat(argv.get(0)).isEqualTo(QEMU.toString());
    assertThat(value(argv, "-accel", 0)).isEqualTo("kvm");
    assertThat(value(argv, "-cpu", 0)).startsWith("host");
    assertThat(value(argv, "-machine", 0)).isEqualTo("microvm,acpi=on");
    assertThat(value(argv, "-smp", 0)).isEqualTo("2");
    assertThat(value(argv, "-m", 0)).isEqualTo("512M");
    assertThat(argv).contains("-nodefaults", "-no-user-config", "-no-reboot");
    assertThat(value(argv, "-sandbox", 0))
        .isEqualTo("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    assertThat(value(argv, "-display", 0)).isEqualTo("none");
    assertThat(value(argv, "-kernel", 0)).isEqualTo("/img/vmlinux");
    assertThat(value(argv, "-initrd", 0)).isEqualTo("/img/initrd");
    assertThat(value(argv, "-append", 0)).isEqualTo(HEARTH_ARGS + " root=/dev/vda rw");
  }

  @Test
  void tcgEmulatesTheCpuAndPinsTheTscRate() {
    List<String> argv =
        QemuArgv.build(QEMU, hearthSetup(), QemuAccel.TCG, OptionalLong.of(2596146), QMP);

    assertThat(value(argv, "-accel", 0)).isEqualTo("tcg");
    assertThat(value(argv, "-cpu", 0)).isEqualTo("max");
    assertThat(value(argv, "-append", 0))
        .isEqualTo(HEARTH_ARGS + " root=/dev/vda rw tsc_early_khz=2596146");
    assertThat(
            value(
                QemuArgv.build(QEMU, hearthSetup(), QemuAccel.TCG, OptionalLong.empty(), QMP),
                "-append",
                0))
        .doesNotContain("tsc_early_khz");
  }

  @Test
  void aReadOnlyRootIsMountedReadOnlyAndTheRootDriveComesFirst() {
    VmSetup s =
        setup(
            Optional.of("console=ttyS0"),
            Optional.empty(),
            List.of(
                new Drive("data", Path.of("/d/data,1.img"), false, false),
                new Drive("rootfs", Path.of("/d/root.ext4"), true, true)),
            1,
            128);
    // The server orders drives root first; the argv keeps the setup's order.
    VmSetup rootFirst =
        new VmSetup(
            s.instanceId(),
            s.machine(),
            s.bootSource(),
            List.of(s.drives().get(1), s.drives().get(0)),
            s.networkInterfaces(),
            s.logger(),
            s.metrics());

    List<String> argv = QemuArgv.build(QEMU, rootFirst, QemuAccel.KVM, OptionalLong.empty(), QMP);

    assertThat(argv).doesNotContain("-initrd");
    assertThat(value(argv, "-append", 0)).isEqualTo("console=ttyS0 root=/dev/vda ro");
    assertThat(value(argv, "-drive", 0))
        .isEqualTo("if=none,id=drive_rootfs,format=raw,file=/d/root.ext4,readonly=on");
    assertThat(value(argv, "-device", 0)).isEqualTo("virtio-blk-device,drive=drive_rootfs");
    assertThat(value(argv, "-drive", 1))
        .as("a comma in a path is doubled")
        .isEqualTo("if=none,id=drive_data,format=raw,file=/d/data,,1.img");
    assertThat(value(argv, "-device", 1)).isEqualTo("virtio-blk-device,drive=drive_data");
  }

  @Test
  void aDrivesRateLimiterBecomesQemusBlockThrottling() {
    RateLimiter perSecond = RateLimiter.perSecond(50 << 20, 800).orElseThrow();
    RateLimiter bursty =
        new RateLimiter(
            Optional.of(new TokenBucket(1 << 20, 250, OptionalLong.empty())), Optional.empty());
    VmSetup s =
        setup(
            Optional.empty(),
            Optional.empty(),
            List.of(
                new Drive("rootfs", Path.of("/d/root.ext4"), true, false, Optional.of(perSecond)),
                new Drive("data", Path.of("/d/data.img"), false, false, Optional.of(bursty))),
            1,
            128);

    List<String> argv = QemuArgv.build(QEMU, s, QemuAccel.TCG, OptionalLong.empty(), QMP);

    assertThat(value(argv, "-drive", 0))
        .isEqualTo(
            "if=none,id=drive_rootfs,format=raw,file=/d/root.ext4"
                + ",throttling.bps-total=52428800,throttling.iops-total=800");
    assertThat(value(argv, "-drive", 1))
        .as("a bucket refilled 4 times a second: its rate, and its size as a burst above it")
        .isEqualTo(
            "if=none,id=drive_data,format=raw,file=/d/data.img" + ",throttling.bps-total=4194304");
  }

  @Test
  void theTapTheConsoleAndQmp() {
    List<String> argv =
        QemuArgv.build(QEMU, hearthSetup(), QemuAccel.KVM, OptionalLong.empty(), QMP);

    assertThat(value(argv, "-netdev", 0))
        .isEqualTo("tap,id=net_eth0,ifname=htap3,script=no,downscript=no");
    assertThat(value(argv, "-device", 1))
        .isEqualTo("virtio-net-device,netdev=net_eth0,mac=06:00:0a:4d:00:02");
    assertThat(value(argv, "-device", 2)).isEqualTo("i8042");
    assertThat(value(argv, "-chardev", 0)).isEqualTo("stdio,id=console,signal=off");
    assertThat(value(argv, "-serial", 0)).isEqualTo("chardev:console");
    assertThat(value(argv, "-chardev", 1)).isEqualTo("socket,id=qmp,path=" + QMP);
    assertThat(value(argv, "-mon", 0)).isEqualTo("chardev=qmp,mode=control");
  }

  @Test
  void withoutBootArgsFirecrackersDefaultsAreUsedAndWithoutARootDriveNoRootIsSet() {
    VmSetup s = setup(Optional.empty(), Optional.empty(), List.of(), 1, 128);

    assertThat(QemuArgv.bootArgs(s, QemuAccel.KVM, OptionalLong.empty()))
        .isEqualTo(QemuArgv.DEFAULT_BOOT_ARGS);
    assertThat(QemuArgv.build(QEMU, s, QemuAccel.KVM, OptionalLong.empty(), QMP))
        .doesNotContain("-drive");
  }

  @Test
  void autoMustBeResolvedFirst() {
    assertThatThrownBy(
            () -> QemuArgv.build(QEMU, hearthSetup(), QemuAccel.AUTO, OptionalLong.empty(), QMP))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theTscRateComesFromCpuinfo() {
    assertThat(LinuxQemuHost.tscKhz("processor\t: 0\ncpu MHz\t\t: 2596.146\ncpu MHz : 1.0\n"))
        .hasValue(2596146);
    assertThat(LinuxQemuHost.tscKhz("cpu MHz\t: 3000\n")).hasValue(3000000);
    assertThat(LinuxQemuHost.tscKhz("cpu MHz\t: 2400.5\n")).hasValue(2400500);
    assertThat(LinuxQemuHost.tscKhz("model name: x\n")).isEmpty();
  }
}

package dev.hearth.qemu;

import dev.hearth.fcproc.QemuAccel;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.NetworkInterface;
import dev.hearth.fcproc.client.RateLimiter;
import dev.hearth.fcproc.client.TokenBucket;
import dev.hearth.fcproc.server.VmSetup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The {@code qemu-system-x86_64} command line for a Firecracker configuration: a {@code microvm}
 * machine (ACPI on, so the guest finds its virtio-mmio devices), the kernel booted directly with
 * the boot args Firecracker would use, virtio-blk drives (the root drive first, so it is {@code
 * /dev/vda}), virtio-net on the configured TAPs, an i8042 keyboard controller (for Ctrl+Alt+Del),
 * the serial console on stdout and QMP on a Unix socket that QEMU connects to.
 */
final class QemuArgv {
  /** Firecracker's command line when {@code boot_args} is not given. */
  static final String DEFAULT_BOOT_ARGS =
      "reboot=k panic=1 pci=off nomodules 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.nopnp"
          + " i8042.dumbkbd";

  private QemuArgv() {}

  /**
   * @param accel KVM or TCG (already resolved from AUTO)
   * @param tscKhz the host's TSC rate; under TCG it goes on the kernel command line as {@code
   *     tsc_early_khz}, without which boots hang now and then calibrating the TSC
   */
  /** QEMU's {@code -sandbox} value: every optional filter denied. */
  static final String SANDBOX =
      "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

  static List<String> build(
      Path qemu, VmSetup setup, QemuAccel accel, OptionalLong tscKhz, Path qmpSocket) {
    if (accel == QemuAccel.AUTO) {
      throw new IllegalArgumentException("resolve AUTO before building the QEMU command line");
    }
    List<String> argv = new ArrayList<>();
    argv.add(qemu.toString());
    add(argv, "-name", "hearth-" + setup.instanceId());
    add(argv, "-machine", "microvm,acpi=on");
    add(argv, "-accel", accel.qemuName());
    // QEMU 7.2 aborts on nested KVM (e.g. an AMD EPYC cloud VM) setting MSR 0x10a
    // (IA32_ARCH_CAPABILITIES); the guest does not need that MSR.
    add(argv, "-cpu", accel == QemuAccel.KVM ? "host,-arch-capabilities" : "max");
    add(argv, "-smp", Integer.toString(setup.machine().vcpuCount()));
    add(argv, "-m", setup.machine().memSizeMib() + "M");
    argv.add("-nodefaults");
    argv.add("-no-user-config");
    add(argv, "-display", "none");
    argv.add("-no-reboot");
    // seccomp once QEMU is set up: no obsolete syscalls, no setuid/setgid, no fork or exec, no
    // scheduler or CPU-affinity changes (issue 16).
    add(argv, "-sandbox", SANDBOX);
    add(argv, "-kernel", setup.bootSource().kernelImagePath().toString());
    setup.bootSource().initrdPath().ifPresent(p -> add(argv, "-initrd", p.toString()));
    add(argv, "-append", bootArgs(setup, accel, tscKhz));
    for (Drive drive : setup.drives()) {
      String id = "drive_" + drive.driveId();
      add(
          argv,
          "-drive",
          "if=none,id="
              + id
              + ",format=raw,file="
              + escape(drive.pathOnHost().toString())
              + (drive.isReadOnly() ? ",readonly=on" : "")
              + drive.rateLimiter().map(QemuArgv::throttling).orElse(""));
      add(argv, "-device", "virtio-blk-device,drive=" + id);
    }
    for (NetworkInterface nic : setup.networkInterfaces()) {
      String id = "net_" + nic.ifaceId();
      add(
          argv,
          "-netdev",
          "tap,id=" + id + ",ifname=" + escape(nic.hostDevName()) + ",script=no,downscript=no");
      add(
          argv,
          "-device",
          "virtio-net-device,netdev=" + id + nic.guestMac().map(m -> ",mac=" + m).orElse(""));
    }
    // Firecracker's SendCtrlAltDel is a key press on an i8042; QEMU lists it in microvm's ACPI.
    add(argv, "-device", "i8042");
    add(argv, "-chardev", "stdio,id=console,signal=off");
    add(argv, "-serial", "chardev:console");
    add(argv, "-chardev", "socket,id=qmp,path=" + escape(qmpSocket.toString()));
    add(argv, "-mon", "chardev=qmp,mode=control");
    return argv;
  }

  /** The kernel command line: Firecracker's (boot args plus the root device) and the TSC rate. */
  static String bootArgs(VmSetup setup, QemuAccel accel, OptionalLong tscKhz) {
    StringBuilder args =
        new StringBuilder(setup.bootSource().bootArgs().orElse(DEFAULT_BOOT_ARGS).strip());
    setup
        .rootDrive()
        .ifPresent(d -> args.append(" root=/dev/vda ").append(d.isReadOnly() ? "ro" : "rw"));
    if (accel == QemuAccel.TCG && tscKhz.isPresent()) {
      args.append(" tsc_early_khz=").append(tscKhz.getAsLong());
    }
    return args.toString().strip();
  }

  /**
   * QEMU's block throttling for a Firecracker rate limiter: each bucket's steady rate as the total
   * (reads and writes together, as Firecracker counts them), and its size, when above the rate, as
   * the burst allowed for one second.
   */
  static String throttling(RateLimiter limiter) {
    StringBuilder options = new StringBuilder();
    limiter.bandwidth().ifPresent(b -> options.append(bucket("bps-total", b)));
    limiter.ops().ifPresent(b -> options.append(bucket("iops-total", b)));
    return options.toString();
  }

  private static String bucket(String name, TokenBucket bucket) {
    long rate = bucket.ratePerSecond();
    String options = ",throttling." + name + "=" + rate;
    if (bucket.size() > rate) {
      options += ",throttling." + name + "-max=" + bucket.size();
    }
    return options;
  }

  /** A value inside a QEMU option list, where a comma is written twice. */
  static String escape(String value) {
    return value.replace(",", ",,");
  }

  private static void add(List<String> argv, String option, String value) {
    argv.add(option);
    argv.add(value);
  }
}

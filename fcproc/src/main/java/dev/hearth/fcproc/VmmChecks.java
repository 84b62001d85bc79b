package dev.hearth.fcproc;

import dev.hearth.core.CheckOutcome;
import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Config;
import dev.hearth.core.HostProbe;
import dev.hearth.core.HostTools;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.net.NetworkChecks;
import dev.hearth.fcproc.process.UserLookup;
import dev.hearth.fcproc.process.VmUser;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The doctor's VMM checks: KVM, the VMM choice (by {@link VmmSelector}, as the daemon makes it),
 * the firecracker binary and its version, QEMU's tools, jailer and setsid. They only look; the one
 * command run is {@code <firecracker> --version}.
 */
public final class VmmChecks {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
  private static final String EVERY_BOOT = "every VM boot starts its VMM through it";

  private static final Path KVM = Path.of("/dev/kvm");

  /** What hearth-qemu-firecracker's --version line names (the launcher's file name). */
  static final String QEMU_LAUNCHER = VmmSelector.LAUNCHER;

  private static final String FIRECRACKER_INSTALL =
      "install Firecracker from https://github.com/firecracker-microvm/firecracker/releases into"
          + " /usr/local/bin";
  private final Config config;
  private final Runner runner;
  private final Posix posix;
  private final HostProbe probe;
  private final VmmSelector vmmSelector;
  private final Map<Path, CommandResult> versions = new HashMap<>();

  public VmmChecks(
      Config config, Runner runner, Posix posix, HostProbe probe, VmmSelector vmmSelector) {
    this.config = config;
    this.runner = runner;
    this.posix = posix;
    this.probe = probe;
    this.vmmSelector = vmmSelector;
  }

  /**
   * The VMM choice the daemon would make now, for the checks that take one (it probes KVM once).
   */
  public VmmChoice choose() {
    return vmmSelector.choose(config);
  }

  public CheckOutcome kvm(VmmChoice choice) throws IOException {
    KvmStatus kvm = choice.kvm();
    if (kvm.usable()) {
      return CheckOutcome.pass(kvm.detail());
    }
    String detail = kvm.detail();
    if (kvm.kind() == KvmStatus.Kind.NO_ACCESS) {
      detail +=
          " as uid "
              + posix.geteuid()
              + probe
                  .stat(KVM)
                  .map(s -> " (mode " + s.octalMode() + ", owner uid " + s.ownerUid() + ")")
                  .orElse("");
    }
    if (choice.kind() == VmmKind.QEMU) {
      return CheckOutcome.warn(
          detail + ": VMs run under QEMU with software emulation, much slower",
          kvmFix(kvm) + ", for Firecracker's speed");
    }
    String fallback =
        config.vmm().equals(VmmMode.FIRECRACKER.configName())
            ? "; or set vmm = \"auto\" in " + configFile() + " to run VMs under QEMU instead"
            : "";
    return CheckOutcome.fail(detail + ": Firecracker cannot run VMs", kvmFix(kvm) + fallback);
  }

  /** What makes KVM usable, by what is wrong with it. */
  private static String kvmFix(KvmStatus kvm) {
    return switch (kvm.kind()) {
      case USABLE -> "";
      case MISSING -> "enable virtualization (nested KVM on a cloud VM) or load kvm_intel/kvm_amd";
      case NO_ACCESS ->
          "run the daemon as root, or chgrp kvm /dev/kvm && chmod 660 /dev/kvm and add the"
              + " daemon's user to group kvm";
      case PVM ->
          "use a host with hardware KVM (VMX/SVM, or nested virtualization on a cloud VM):"
              + " PVM's KVM cannot boot hearth's guest kernel";
    };
  }

  /** The VMM the daemon picks here, by the same code ({@link VmmSelector}). */
  public CheckOutcome vmm(VmmChoice choice) {
    String what =
        choice.kind().wireName() + choice.binary().map(b -> " (" + b + ")").orElse("") + ": ";
    switch (choice.kind()) {
      case FIRECRACKER -> {
        if (choice.kvm().usable()) {
          return CheckOutcome.pass(what + choice.reason());
        }
        return CheckOutcome.fail(what + choice.reason(), kvmFix(choice.kvm()));
      }
      case QEMU -> {
        String slow =
            choice.softwareEmulation()
                ? "; software emulation: boot to SSH takes tens of seconds instead of about a"
                    + " second, so run one or two VMs at a time"
                : "; QEMU with KVM boots slower than Firecracker";
        return CheckOutcome.warn(what + choice.reason() + slow, fastVmsFix(choice));
      }
      default -> {
        return CheckOutcome.fail("nothing can run VMs: " + choice.reason(), noVmmFix());
      }
    }
  }

  /** How to get Firecracker on KVM, from what keeps it away now. */
  private String fastVmsFix(VmmChoice choice) {
    List<String> steps = new ArrayList<>();
    if (config.firecrackerBin().isPresent()) {
      steps.add("remove firecracker_bin from " + configFile() + " to let vmm choose");
    } else if (config.vmm().equals(VmmMode.QEMU.configName())) {
      steps.add("set vmm = \"auto\" in " + configFile());
    }
    if (vmmSelector.firecracker(Optional.empty()).path().isEmpty()) {
      steps.add(FIRECRACKER_INSTALL);
    }
    if (!choice.kvm().usable()) {
      steps.add(kvmFix(choice.kvm()));
    }
    return "for fast VMs: " + String.join("; ", steps);
  }

  private String noVmmFix() {
    if (config.firecrackerBin().isPresent()) {
      return "fix firecracker_bin in " + configFile() + ", or remove it to let vmm choose";
    }
    if (config.vmm().equals(VmmMode.FIRECRACKER.configName())) {
      return FIRECRACKER_INSTALL
          + " with a working /dev/kvm, or set vmm = \"auto\" in "
          + configFile()
          + " to run VMs under QEMU";
    }
    return "reinstall hearth (scripts/start.sh) and start the daemon with its bin/hearth, which"
        + " finds bin/hearth-qemu-firecracker beside it";
  }

  public CheckOutcome firecracker(VmmChoice choice) throws InterruptedException {
    Optional<Path> configured = config.firecrackerBin();
    VmmSelector.Lookup lookup = vmmSelector.firecracker(configured);
    if (lookup.path().isEmpty()) {
      if (configured.isPresent()) {
        return CheckOutcome.fail(
            lookup.detail(),
            "install Firecracker at "
                + configured.get()
                + " or fix firecracker_bin in "
                + configFile());
      }
      return switch (VmmMode.fromConfigName(config.vmm()).orElse(VmmMode.AUTO)) {
        case FIRECRACKER -> CheckOutcome.fail(lookup.detail(), FIRECRACKER_INSTALL);
        case QEMU -> CheckOutcome.pass("not used (vmm = qemu): " + lookup.detail());
        case AUTO ->
            CheckOutcome.warn(
                lookup.detail() + ": VMs run under QEMU instead",
                FIRECRACKER_INSTALL + " for fast VMs (with a working /dev/kvm)");
      };
    }
    Path bin = lookup.path().get();
    CommandResult result;
    try {
      result = versionOf(bin);
    } catch (CommandException e) {
      return CheckOutcome.fail(
          e.getMessage(), "check that " + bin + " is a Firecracker binary that runs on this host");
    }
    if (result.stdout().contains(QEMU_LAUNCHER)) {
      return qemuLauncher(bin, firstLine(result.stdout()));
    }
    Optional<FirecrackerVersion> version = FirecrackerVersion.parse(result.stdout());
    if (version.isEmpty()) {
      return CheckOutcome.warn(
          bin + " --version printed no Firecracker version: '" + firstLine(result.stdout()) + "'",
          "point firecracker_bin at a Firecracker release binary");
    }
    String found = "Firecracker v" + version.get() + " (" + bin + ")";
    if (!version.get().isSupported()) {
      return CheckOutcome.warn(
          found + ": hearth is tested with v" + FirecrackerVersion.TESTED,
          "install a Firecracker v" + FirecrackerVersion.TESTED.major() + ".x release");
    }
    String used = choice.kind() == VmmKind.FIRECRACKER ? "" : " (not used: see the vmm check)";
    return CheckOutcome.pass(found + used);
  }

  /** The firecracker found is hearth's QEMU launcher: it works, but VMs are not Firecracker's. */
  private CheckOutcome qemuLauncher(Path bin, String versionLine) {
    if (versionLine.contains("QEMU unavailable")) {
      return CheckOutcome.fail(
          bin + " is " + QEMU_LAUNCHER + " but it cannot run QEMU: '" + versionLine + "'",
          "apt-get install qemu-system-x86 (or set HEARTH_QEMU_BIN for the daemon)");
    }
    return CheckOutcome.warn(
        bin + " is " + QEMU_LAUNCHER + " ('" + versionLine + "'), not Firecracker",
        "fine for trying hearth and for CI; for fast VMs install Firecracker and remove"
            + " firecracker_bin from "
            + configFile());
  }

  /**
   * A program the QEMU launcher runs: required when VMs run under QEMU, a warning when vmm = auto
   * could fall back to QEMU, not needed with vmm = firecracker.
   */
  public CheckOutcome qemuTool(VmmChoice choice, String program, String debianPackage) {
    Optional<Path> found = probe.findExecutable(program);
    if (found.isPresent()) {
      return CheckOutcome.pass(found.get().toString());
    }
    String missing = program + HostTools.NOT_FOUND;
    String fix = "apt-get install " + debianPackage;
    if (choice.kind() == VmmKind.QEMU) {
      return CheckOutcome.fail(missing + ": " + QEMU_LAUNCHER + " cannot boot VMs", fix);
    }
    if (config.vmm().equals(VmmMode.FIRECRACKER.configName())) {
      return CheckOutcome.pass(missing + "; not needed (vmm = firecracker)");
    }
    return CheckOutcome.warn(
        missing + ": needed when VMs run under QEMU (vmm = qemu, or no usable KVM)", fix);
  }

  /** {@code <bin> --version}, run once per doctor. */
  private CommandResult versionOf(Path bin) throws InterruptedException {
    CommandResult result = versions.get(bin);
    if (result == null) {
      result = runner.check(version(bin));
      versions.put(bin, result);
    }
    return result;
  }

  private static Command version(Path bin) {
    return Command.builder(bin.toString()).args("--version").timeout(COMMAND_TIMEOUT).build();
  }

  /**
   * Firecracker's jailer, found as the daemon finds it ({@link VmmSelector#jailer}): used for every
   * Firecracker VM when found (then {@code vm_user} must be an existing user other than root, else
   * every boot fails); missing with Firecracker is a WARN (VMs run without it); with QEMU it is not
   * needed.
   */
  public CheckOutcome jailer() throws InterruptedException {
    String fix =
        "install jailer from the Firecracker release next to firecracker, or set jailer_bin";
    VmmChoice choice = choose();
    if (choice.jailer().isPresent()) {
      Path bin = choice.jailer().get();
      String user = config.vmUser();
      Optional<VmUser> found = UserLookup.of(posix).find(user);
      if (found.isEmpty()) {
        return CheckOutcome.fail(
            bin + " would start each Firecracker VM, but vm_user '" + user + "' does not exist",
            "useradd --system --no-create-home --shell /usr/sbin/nologin " + user);
      }
      if (found.get().uid() == 0 || found.get().gid() == 0) {
        return CheckOutcome.fail(
            bin + " would start each Firecracker VM as vm_user '" + user + "', which is root",
            "set vm_user in " + configFile() + " to an unprivileged user");
      }
      return CheckOutcome.pass(
          bin
              + ": each Firecracker VM is started through it, as vm_user "
              + user
              + " (uid "
              + found.get().uid()
              + "), its jail in "
              + config.jailerChrootBase());
    }
    Optional<Path> firecracker =
        choice.kind() == VmmKind.FIRECRACKER
            ? choice.binary()
            : vmmSelector.firecracker(config.firecrackerBin()).path();
    VmmSelector.Lookup jailer = vmmSelector.jailer(config.jailerBin(), firecracker);
    if (choice.kind() == VmmKind.FIRECRACKER) {
      return CheckOutcome.warn(
          jailer.detail() + ": Firecracker VMs run without the jailer (no chroot, uid or cgroup)",
          fix);
    }
    return CheckOutcome.pass(
        jailer.path().map(p -> p + ", not used").orElse("not needed")
            + ": the jailer starts only Firecracker, and VMs run under "
            + choice.kind().wireName());
  }

  /** {@code setsid}, through which the runner starts every VMM in a session of its own. */
  public CheckOutcome setsid() {
    return HostTools.neededBy(probe, "setsid", "util-linux", CheckOutcome.Status.FAIL, EVERY_BOOT);
  }

  /**
   * {@code vm-user}: VMMs run unprivileged (issue 16): vm_user exists and is not root, the
   * wrapper's tools are on PATH, {@code ip} makes TAPs owned by a user, and vm_user can search its
   * way to state_dir and runtime_dir (their parents), where its mount namespace shows its files.
   */
  public CheckOutcome vmUser() throws InterruptedException, IOException {
    if (!config.vmUnprivileged()) {
      return CheckOutcome.warn(
          "vm_unprivileged = false: every VMM runs as root, with every capability and no limits",
          "set vm_unprivileged = true (the default) in " + configFile());
    }
    String name = config.vmUser();
    Optional<Posix.User> user = posix.user(name);
    String create =
        "useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "
            + name
            + " (scripts/start.sh does)";
    if (user.isEmpty()) {
      return CheckOutcome.fail("vm_user '" + name + "' does not exist, so no VM can start", create);
    }
    if (user.get().uid() == 0) {
      return CheckOutcome.fail(
          "vm_user '" + name + "' is root: VMMs would keep root's rights",
          "set vm_user to a system user of its own in " + configFile());
    }
    for (String[] tool :
        List.of(
            new String[] {"unshare", "util-linux"},
            new String[] {"mount", "mount"},
            new String[] {"setpriv", "util-linux"})) {
      if (probe.findExecutable(tool[0]).isEmpty()) {
        return CheckOutcome.fail(
            tool[0] + HostTools.NOT_FOUND + ": every VMM is started through it",
            "apt-get install " + tool[1]);
      }
    }
    CommandResult tuntap =
        runner.run(Command.builder("ip").args("tuntap", "help").timeout(COMMAND_TIMEOUT).build());
    if (!(tuntap.stdout() + tuntap.stderr()).contains("user USER")) {
      return CheckOutcome.fail(
          "`ip tuntap` cannot make a TAP owned by a user, which VMMs without CAP_NET_ADMIN need",
          "install a current iproute2");
    }
    for (Path dir : List.of(config.stateDir(), config.runtimeDir())) {
      for (Path parent = dir.getParent(); parent != null; parent = parent.getParent()) {
        Optional<HostProbe.FileStatus> status = probe.stat(parent);
        if (status.isPresent() && (status.get().mode() & 01) == 0) {
          return CheckOutcome.fail(
              parent
                  + " (mode "
                  + status.get().octalMode()
                  + ") is not searchable by vm_user, so its VMMs cannot reach "
                  + dir,
              "chmod o+x " + parent);
        }
      }
    }
    Optional<CheckOutcome> noTun = tunForVmUser(user.get());
    if (noTun.isPresent()) {
      return noTun.get();
    }
    Optional<CheckOutcome> unreachable = vmmAsVmUser(user.get());
    if (unreachable.isPresent()) {
      return unreachable.get();
    }
    String uids =
        config.vmUidPerVm()
            ? "each VM a uid of its own from vm_uid_range "
                + config.vmUidFirst()
                + "-"
                + config.vmUidLast()
                + " (group "
                + user.get().gid()
                + ")"
            : "'" + name + "' (uid " + user.get().uid() + ", gid " + user.get().gid() + ")";
    return CheckOutcome.pass(
        "VMMs run as "
            + uids
            + " with no capabilities, in a mount namespace of their own, on TAPs owned by that"
            + " uid");
  }

  /**
   * {@code /dev/net/tun} readable and writable by vm_user: an unprivileged VMM opens it itself to
   * attach to its TAP (a jailed Firecracker gets a node of its own in its chroot instead). Linux
   * makes it 0666 and Debian's udev rule keeps it so; a host without udev may leave it 0600, and
   * every boot then fails ("could not open /dev/net/tun: Permission denied"). A missing node, or
   * one that cannot be looked at, is the {@code tun} check's to report.
   */
  private Optional<CheckOutcome> tunForVmUser(Posix.User user) {
    if (vmmSelector.choose(config).jailer().isPresent()) {
      return Optional.empty();
    }
    Optional<HostProbe.FileStatus> tun;
    try {
      tun = probe.stat(NetworkChecks.TUN);
    } catch (IOException e) {
      return Optional.empty();
    }
    if (tun.isEmpty()
        || (tun.get().mode() & 06) == 06
        || (tun.get().ownerUid() == user.uid() && (tun.get().mode() & 0600) == 0600)) {
      return Optional.empty();
    }
    return Optional.of(
        CheckOutcome.fail(
            NetworkChecks.TUN
                + " (mode "
                + tun.get().octalMode()
                + ") cannot be opened for reading and writing by vm_user, so its VMMs cannot"
                + " attach to their TAPs and every VM fails to boot",
            "chmod 0666 " + NetworkChecks.TUN + " (the kernel's and udev's mode for it)"));
  }

  /**
   * The chosen VMM's {@code --version} run as vm_user, as each VM's VMM is exec'd (a jailer copies
   * firecracker into its chroot instead): a distribution in a folder vm_user cannot search, or jars
   * it cannot read, fail every boot with "Permission denied".
   */
  private Optional<CheckOutcome> vmmAsVmUser(Posix.User user) throws InterruptedException {
    VmmChoice choice = vmmSelector.choose(config);
    if (choice.binary().isEmpty() || choice.jailer().isPresent()) {
      return Optional.empty();
    }
    Path binary = choice.binary().get();
    CommandResult result =
        runner.run(
            Command.builder("setpriv")
                .args(
                    "--reuid=" + user.uid(),
                    "--regid=" + user.gid(),
                    "--clear-groups",
                    "--",
                    binary.toString(),
                    "--version")
                .timeout(COMMAND_TIMEOUT)
                .build());
    if (result.ok()) {
      return Optional.empty();
    }
    return Optional.of(
        CheckOutcome.fail(
            "the VMM "
                + binary
                + " does not run as vm_user '"
                + config.vmUser()
                + "' (`"
                + binary.getFileName()
                + " --version` as uid "
                + user.uid()
                + " exited "
                + result.exitCode()
                + ": "
                + firstLine(result.stderr() + result.stdout())
                + "), so no VM can start",
            "install hearth where others may read and search it (as /opt/hearth is), or chmod o+rx"
                + " the folders above "
                + binary));
  }

  private Path configFile() {
    return config.source().orElse(Config.DEFAULT_FILE);
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int newline = stripped.indexOf('\n');
    return newline < 0 ? stripped : stripped.substring(0, newline);
  }
}

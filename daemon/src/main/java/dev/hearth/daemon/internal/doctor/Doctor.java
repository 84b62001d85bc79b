package dev.hearth.daemon.internal.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.Schema;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.internal.doctor.HostProbe.BoundSocket;
import dev.hearth.daemon.internal.doctor.HostProbe.FileStatus;
import dev.hearth.daemon.internal.doctor.HostProbe.Reflink;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.dmsnap.DeviceMapperStatus;
import dev.hearth.dmsnap.ProvisionerChoiceException;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.Provisioners;
import dev.hearth.fcproc.FirecrackerVersion;
import dev.hearth.fcproc.KvmStatus;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.VmmKind;
import dev.hearth.fcproc.VmmMode;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * hearth's doctor (DESIGN.md section 11): checks that this host can run hearth and says, for each
 * check, what it found and a one-line fix. Checks only look: nothing is created or changed, except
 * a temporary file for the reflink test that is removed again.
 *
 * <p>A check that throws becomes a FAIL of that check and the others still run; an interrupt is the
 * one exception, and stops the doctor.
 */
public final class Doctor {
  private static final Logger log = LoggerFactory.getLogger(Doctor.class);

  private static final Path KVM = Path.of("/dev/kvm");
  private static final Path TUN = Path.of("/dev/net/tun");
  static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
  private static final long GIB = 1L << 30;
  private static final int DNS_PORT = 53;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What hearth-qemu-firecracker's --version line names (the launcher's file name). */
  static final String QEMU_LAUNCHER = VmmSelector.LAUNCHER;

  private static final String NOT_FOUND = " not found on PATH";
  static final Path DEBIAN_KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");
  // What fails without a tool, by the code that runs it.
  private static final String EVERY_BOOT = "every VM boot starts its VMM through it";
  private static final String IDENTITY =
      "vm create writes the VM's hostname, address and SSH key into its disk with it";
  private static final String GROW =
      "vm create --disk-size larger than the image grows the disk's filesystem with it";
  private static final String BUILD = "image build needs it";
  private static final String EXTRACT =
      "image build (Debian's kernel) and image register --extract-kernel unpack the kernel with it";
  private static final String TAR = "image build caches its download with it, vm cp copies with it";
  private static final String FIRECRACKER_INSTALL =
      "install Firecracker from https://github.com/firecracker-microvm/firecracker/releases into"
          + " /usr/local/bin";
  private static final String DM_UNAVAILABLE =
      "device-mapper snapshots unavailable: VM disks will be full copies (copy provisioner)";
  private static final String DM_FIX = "apt-get install dmsetup; modprobe dm_snapshot";
  private static final String NO_REFLINK = "copies will be sparse full copies";
  private static final String REFLINK_FIX =
      "put state_dir on a filesystem with reflinks (btrfs, or xfs with reflink=1)";

  private final Config config;
  private final Layout layout;
  private final Runner runner;
  private final Posix posix;
  private final HostProbe probe;
  private final DeviceMapperProbe deviceMapper;
  private final VmmSelector vmmSelector;
  private final Map<Path, CommandResult> versions = new HashMap<>();

  /**
   * A doctor over the given seams; {@link #run} uses the real ones. The device-mapper probe is the
   * daemon's own (dmsnap), so the provisioner doctor reports is the one it picks; likewise the VMM
   * selector (fcproc), for the VMM, the firecracker binary and KVM.
   */
  public Doctor(
      Config config,
      Runner runner,
      Posix posix,
      HostProbe probe,
      DeviceMapperProbe deviceMapper,
      VmmSelector vmmSelector) {
    this.config = config;
    this.layout = Layout.of(config);
    this.runner = runner;
    this.posix = posix;
    this.probe = probe;
    this.deviceMapper = deviceMapper;
    this.vmmSelector = vmmSelector;
  }

  /**
   * Checks this host against the configuration, with the real runner, POSIX calls and probes, and
   * the daemon's VMM selector.
   *
   * @throws InterruptedException when the calling thread is interrupted; the running check's
   *     command is killed and no report is made
   */
  public static DoctorReport run(Config config, VmmSelector vmmSelector)
      throws InterruptedException {
    Posix posix = Posix.system();
    Runner runner = new ProcessRunner(posix, Clock.system());
    return new Doctor(
            config,
            runner,
            posix,
            new LinuxHostProbe(runner),
            new DeviceMapperProbe(runner),
            vmmSelector)
        .check();
  }

  /**
   * Runs every check, in the stable order of the report.
   *
   * @throws InterruptedException when the calling thread is interrupted
   */
  public DoctorReport check() throws InterruptedException {
    List<DoctorCheck> checks = new ArrayList<>();
    // One choice for every check, made as the daemon makes it (it probes KVM once).
    VmmChoice choice = vmmSelector.choose(config);
    checks.add(guard("kvm", () -> kvm(choice)));
    checks.add(guard("vmm", () -> vmm(choice)));
    checks.add(guard("firecracker", () -> firecracker(choice)));
    checks.add(
        guard(
            "qemu-system-x86_64",
            () -> qemuTool(choice, "qemu-system-x86_64", "qemu-system-x86")));
    checks.add(guard("setpriv", () -> qemuTool(choice, "setpriv", "util-linux")));
    checks.add(guard("jailer", this::jailer));
    DoctorCheck dm = guard("device-mapper", this::deviceMapper);
    checks.add(dm);
    boolean dmSnapshots = dm.status() == Status.PASS;
    checks.add(guard("disk-provisioner", () -> diskProvisioner(dmSnapshots)));
    checks.add(guard("losetup", () -> requiredTool("losetup", "mount")));
    checks.add(guard("ip", () -> requiredTool("ip", "iproute2")));
    checks.add(guard("firewall", this::firewall));
    checks.add(guard("tun", this::tun));
    checks.add(guard("ip-forward", this::ipForward));
    checks.add(guard("bridge-cidr", this::bridgeCidr));
    checks.add(guard("dns-port", this::dnsPort));
    checks.add(guard("setsid", () -> tool("setsid", "util-linux", Status.FAIL, EVERY_BOOT)));
    checks.add(guard("debugfs", () -> tool("debugfs", "e2fsprogs", Status.FAIL, IDENTITY)));
    checks.add(guard("e2fsck", () -> tool("e2fsck", "e2fsprogs", Status.WARN, GROW)));
    checks.add(guard("resize2fs", () -> tool("resize2fs", "e2fsprogs", Status.WARN, GROW)));
    checks.add(guard("debootstrap", () -> tool("debootstrap", "debootstrap", Status.WARN, BUILD)));
    checks.add(guard("debootstrap-keyring", this::debootstrapKeyring));
    checks.add(guard("mkfs.ext4", () -> tool("mkfs.ext4", "e2fsprogs", Status.WARN, BUILD)));
    checks.add(guard("xz", () -> tool("xz", "xz-utils", Status.WARN, EXTRACT)));
    checks.add(guard("tar", () -> tool("tar", "tar", Status.WARN, TAR)));
    checks.add(guard("state-dir", this::stateDir));
    checks.add(guard("reflink", this::reflink));
    checks.add(guard("runtime-dir", this::runtimeDir));
    checks.add(guard("socket-group", this::socketGroup));
    checks.add(guard("sqlite", this::sqlite));
    checks.add(guard("ssh-key", this::sshKey));
    checks.add(guard("privileges", this::privileges));
    return new DoctorReport(checks);
  }

  private record Outcome(Status status, String detail, String fix) {
    private static final Pattern LINE_BREAKS = Pattern.compile("\\s*\\R\\s*");

    /** Details and fixes are one line each, even when they quote a command's stderr. */
    Outcome {
      detail = LINE_BREAKS.matcher(detail.strip()).replaceAll("; ");
      fix = LINE_BREAKS.matcher(fix.strip()).replaceAll("; ");
    }

    static Outcome pass(String detail) {
      return new Outcome(Status.PASS, detail, "");
    }

    static Outcome warn(String detail, String fix) {
      return new Outcome(Status.WARN, detail, fix);
    }

    static Outcome fail(String detail, String fix) {
      return new Outcome(Status.FAIL, detail, fix);
    }
  }

  @FunctionalInterface
  private interface Check {
    Outcome run() throws Exception;
  }

  private static DoctorCheck guard(String name, Check check) throws InterruptedException {
    Outcome outcome;
    try {
      outcome = check.run();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception | LinkageError e) {
      // A broken check must not hide the others: report it as this check's failure.
      log.warn("doctor check {} could not run", name, e);
      String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
      outcome =
          Outcome.fail(
              "the check could not run: " + message,
              "unexpected: report it to the hearth developers with this line");
    }
    return new DoctorCheck(name, outcome.status(), outcome.detail(), outcome.fix());
  }

  private Outcome kvm(VmmChoice choice) throws IOException {
    KvmStatus kvm = choice.kvm();
    if (kvm.usable()) {
      return Outcome.pass(kvm.detail());
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
      return Outcome.warn(
          detail + ": VMs run under QEMU with software emulation, much slower",
          kvmFix(kvm) + ", for Firecracker's speed");
    }
    String fallback =
        config.vmm().equals(VmmMode.FIRECRACKER.configName())
            ? "; or set vmm = \"auto\" in " + configFile() + " to run VMs under QEMU instead"
            : "";
    return Outcome.fail(detail + ": Firecracker cannot run VMs", kvmFix(kvm) + fallback);
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
  private Outcome vmm(VmmChoice choice) {
    String what =
        choice.kind().wireName() + choice.binary().map(b -> " (" + b + ")").orElse("") + ": ";
    switch (choice.kind()) {
      case FIRECRACKER -> {
        if (choice.kvm().usable()) {
          return Outcome.pass(what + choice.reason());
        }
        return Outcome.fail(what + choice.reason(), kvmFix(choice.kvm()));
      }
      case QEMU -> {
        String slow =
            choice.softwareEmulation()
                ? "; software emulation: boot to SSH takes tens of seconds instead of about a"
                    + " second, so run one or two VMs at a time"
                : "; QEMU with KVM boots slower than Firecracker";
        return Outcome.warn(what + choice.reason() + slow, fastVmsFix(choice));
      }
      default -> {
        return Outcome.fail("nothing can run VMs: " + choice.reason(), noVmmFix());
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

  private Outcome firecracker(VmmChoice choice) throws InterruptedException {
    Optional<Path> configured = config.firecrackerBin();
    VmmSelector.Lookup lookup = vmmSelector.firecracker(configured);
    if (lookup.path().isEmpty()) {
      if (configured.isPresent()) {
        return Outcome.fail(
            lookup.detail(),
            "install Firecracker at "
                + configured.get()
                + " or fix firecracker_bin in "
                + configFile());
      }
      return switch (VmmMode.fromConfigName(config.vmm()).orElse(VmmMode.AUTO)) {
        case FIRECRACKER -> Outcome.fail(lookup.detail(), FIRECRACKER_INSTALL);
        case QEMU -> Outcome.pass("not used (vmm = qemu): " + lookup.detail());
        case AUTO ->
            Outcome.warn(
                lookup.detail() + ": VMs run under QEMU instead",
                FIRECRACKER_INSTALL + " for fast VMs (with a working /dev/kvm)");
      };
    }
    Path bin = lookup.path().get();
    CommandResult result;
    try {
      result = versionOf(bin);
    } catch (CommandException e) {
      return Outcome.fail(
          e.getMessage(), "check that " + bin + " is a Firecracker binary that runs on this host");
    }
    if (result.stdout().contains(QEMU_LAUNCHER)) {
      return qemuLauncher(bin, firstLine(result.stdout()));
    }
    Optional<FirecrackerVersion> version = FirecrackerVersion.parse(result.stdout());
    if (version.isEmpty()) {
      return Outcome.warn(
          bin + " --version printed no Firecracker version: '" + firstLine(result.stdout()) + "'",
          "point firecracker_bin at a Firecracker release binary");
    }
    String found = "Firecracker v" + version.get() + " (" + bin + ")";
    if (!version.get().isSupported()) {
      return Outcome.warn(
          found + ": hearth is tested with v" + FirecrackerVersion.TESTED,
          "install a Firecracker v" + FirecrackerVersion.TESTED.major() + ".x release");
    }
    String used = choice.kind() == VmmKind.FIRECRACKER ? "" : " (not used: see the vmm check)";
    return Outcome.pass(found + used);
  }

  /** The firecracker found is hearth's QEMU launcher: it works, but VMs are not Firecracker's. */
  private Outcome qemuLauncher(Path bin, String versionLine) {
    if (versionLine.contains("QEMU unavailable")) {
      return Outcome.fail(
          bin + " is " + QEMU_LAUNCHER + " but it cannot run QEMU: '" + versionLine + "'",
          "apt-get install qemu-system-x86 (or set HEARTH_QEMU_BIN for the daemon)");
    }
    return Outcome.warn(
        bin + " is " + QEMU_LAUNCHER + " ('" + versionLine + "'), not Firecracker",
        "fine for trying hearth and for CI; for fast VMs install Firecracker and remove"
            + " firecracker_bin from "
            + configFile());
  }

  /**
   * A program the QEMU launcher runs: required when VMs run under QEMU, a warning when vmm = auto
   * could fall back to QEMU, not needed with vmm = firecracker.
   */
  private Outcome qemuTool(VmmChoice choice, String program, String debianPackage) {
    Optional<Path> found = probe.findExecutable(program);
    if (found.isPresent()) {
      return Outcome.pass(found.get().toString());
    }
    String missing = program + NOT_FOUND;
    String fix = "apt-get install " + debianPackage;
    if (choice.kind() == VmmKind.QEMU) {
      return Outcome.fail(missing + ": " + QEMU_LAUNCHER + " cannot boot VMs", fix);
    }
    if (config.vmm().equals(VmmMode.FIRECRACKER.configName())) {
      return Outcome.pass(missing + "; not needed (vmm = firecracker)");
    }
    return Outcome.warn(
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

  private Outcome jailer() {
    String fix = "install jailer from the Firecracker release next to firecracker";
    Optional<Path> configured = config.jailerBin();
    if (configured.isPresent()) {
      Path bin = configured.get();
      return probe.isExecutable(bin)
          ? Outcome.pass(bin + " (not used yet)")
          : Outcome.warn("jailer_bin " + bin + " is missing or not executable (not used yet)", fix);
    }
    return probe
        .findExecutable("jailer")
        .map(bin -> Outcome.pass(bin + " (not used yet)"))
        .orElseGet(() -> Outcome.warn("jailer" + NOT_FOUND + " (not used yet)", fix));
  }

  private Outcome deviceMapper() throws InterruptedException {
    DeviceMapperStatus status = deviceMapper.probe();
    return status.available()
        ? Outcome.pass(status.detail())
        : Outcome.warn(DM_UNAVAILABLE + "; " + status.detail(), DM_FIX);
  }

  /** The provisioner the daemon picks here, by the same rule ({@link Provisioners#choose}). */
  private Outcome diskProvisioner(boolean dmSnapshots) {
    String configured = config.diskProvisioner();
    ProvisionerKind kind;
    try {
      kind = Provisioners.choose(configured, dmSnapshots);
    } catch (ProvisionerChoiceException e) {
      return Outcome.fail(
          e.getMessage(), DM_FIX + ", or set disk_provisioner = \"auto\" in " + configFile());
    }
    String why =
        !configured.equals("auto")
            ? "configured"
            : dmSnapshots
                ? "auto: device-mapper snapshots work"
                : "auto: device-mapper snapshots are unavailable";
    String what = kind == ProvisionerKind.COPY ? ": VM disks are full copies of the image" : "";
    return Outcome.pass(kind.configName() + " (" + why + ")" + what);
  }

  private Outcome requiredTool(String program, String debianPackage) {
    return probe
        .findExecutable(program)
        .map(path -> Outcome.pass(path.toString()))
        .orElseGet(() -> Outcome.fail(program + NOT_FOUND, "apt-get install " + debianPackage));
  }

  /** A host program a feature runs: its path, or {@code missing} naming what fails without it. */
  private Outcome tool(String program, String debianPackage, Status missing, String neededBy) {
    Optional<Path> found = probe.findExecutable(program);
    if (found.isPresent()) {
      return Outcome.pass(found.get().toString());
    }
    return new Outcome(
        missing, program + NOT_FOUND + ": " + neededBy, "apt-get install " + debianPackage);
  }

  /** debootstrap checks what it downloads against Debian's keys, when it has them. */
  private Outcome debootstrapKeyring() {
    if (probe.exists(DEBIAN_KEYRING)) {
      return Outcome.pass(DEBIAN_KEYRING.toString());
    }
    return Outcome.warn(
        DEBIAN_KEYRING
            + " is missing: image build's debootstrap cannot check the signature of what it"
            + " downloads",
        "apt-get install debian-archive-keyring");
  }

  private Outcome firewall() {
    Optional<Path> nft = probe.findExecutable("nft");
    if (nft.isPresent()) {
      return Outcome.pass("nft (" + nft.get() + ")");
    }
    return probe
        .findExecutable("iptables")
        .map(path -> Outcome.pass("iptables (" + path + "; nft not found)"))
        .orElseGet(
            () -> Outcome.fail("neither nft nor iptables" + NOT_FOUND, "apt-get install nftables"));
  }

  private Outcome tun() {
    return probe.exists(TUN)
        ? Outcome.pass(TUN + " exists")
        : Outcome.fail(TUN + " is missing: TAP devices cannot be created", "modprobe tun");
  }

  private Outcome ipForward() {
    String fix = "sysctl -w net.ipv4.ip_forward=1";
    String value;
    try {
      value = probe.readSmallText(IP_FORWARD).strip();
    } catch (IOException e) {
      return Outcome.warn("cannot read " + IP_FORWARD + ": " + e.getMessage(), fix);
    }
    if (value.equals("1")) {
      return Outcome.pass("net.ipv4.ip_forward = 1");
    }
    return Outcome.warn(
        "net.ipv4.ip_forward = " + value + ": the daemon enables it when it sets up NAT", fix);
  }

  private Outcome bridgeCidr() throws IOException, InterruptedException {
    Ipv4Cidr bridge = Ipv4Cidr.parse(config.bridgeCidr());
    Optional<Path> ip = probe.findExecutable("ip");
    if (ip.isEmpty()) {
      return Outcome.warn("not checked: ip" + NOT_FOUND, "apt-get install iproute2");
    }
    CommandResult result;
    try {
      result =
          runner.check(
              Command.builder(ip.get().toString())
                  .args("-j", "route", "show")
                  .timeout(COMMAND_TIMEOUT)
                  .build());
    } catch (CommandException e) {
      return Outcome.warn("not checked: " + e.getMessage(), "check that `ip route` works here");
    }
    List<String> clashes = new ArrayList<>();
    for (JsonNode route : JSON.readTree(result.stdout())) {
      String dst = route.path("dst").asText("");
      String dev = route.path("dev").asText("");
      if (dst.equals("default") || dev.equals(config.bridgeName())) {
        continue;
      }
      Ipv4Cidr network;
      try {
        // ip prints host routes as a bare address.
        network = Ipv4Cidr.parse(dst.contains("/") ? dst : dst + "/32");
      } catch (IllegalArgumentException e) {
        // Not an IPv4 network (ip prints "default" and addresses only, but stay tolerant).
        log.debug("doctor: skipping route {}", route);
        continue;
      }
      if (network.overlaps(bridge)) {
        String type = route.path("type").asText("");
        clashes.add(
            (type.isEmpty() ? "" : type + " ") + dst + (dev.isEmpty() ? "" : " dev " + dev));
      }
    }
    String bridgeNetwork = bridge.networkCidr();
    if (!clashes.isEmpty()) {
      return Outcome.fail(
          "bridge_cidr "
              + config.bridgeCidr()
              + " overlaps the route "
              + String.join(", the route ", clashes),
          "set bridge_cidr in " + configFile() + " to a free range");
    }
    return Outcome.pass(
        "no route overlaps " + bridgeNetwork + " except through " + config.bridgeName());
  }

  private Outcome dnsPort() throws IOException {
    InetAddress gateway =
        InetAddress.getByAddress(toBytes(Ipv4Cidr.parse(config.bridgeCidr()).gateway()));
    Set<Long> ours = probe.ownSocketInodes();
    List<String> taken = new ArrayList<>();
    for (BoundSocket s : probe.boundSockets()) {
      boolean clashes = s.address().isAnyLocalAddress() || s.address().equals(gateway);
      if (s.port() == DNS_PORT && clashes && !ours.contains(s.inode())) {
        taken.add(s.display() + " (uid " + s.uid() + ", socket inode " + s.inode() + ")");
      }
    }
    String needed = gateway.getHostAddress() + ":" + DNS_PORT;
    if (!taken.isEmpty()) {
      return Outcome.warn(
          "already listening: " + String.join(", ", taken) + "; the VM DNS needs " + needed,
          "stop that DNS server or bind it to other addresses than "
              + gateway.getHostAddress()
              + " and 0.0.0.0");
    }
    return Outcome.pass(needed + " is free for the VM DNS");
  }

  private Outcome stateDir() throws IOException {
    Path dir = layout.stateDir();
    Path measured = nearestExisting(dir);
    long free = probe.usableSpace(measured);
    String detail =
        Sizes.format(free)
            + " free in "
            + dir
            + (measured.equals(dir) ? "" : " (not created yet; measured at " + measured + ")");
    String fix = "free space there or set state_dir to a filesystem with at least 10 GiB free";
    if (free < GIB) {
      return Outcome.fail(detail + ": less than 1 GiB", fix);
    }
    if (free < 10 * GIB) {
      return Outcome.warn(detail + ": less than 10 GiB, too little for more than a few VMs", fix);
    }
    return Outcome.pass(detail);
  }

  private Outcome reflink() throws InterruptedException {
    Path dir = nearestExisting(layout.stateDir());
    Reflink reflink;
    try {
      reflink = probe.tryReflink(dir);
    } catch (IOException | CommandException e) {
      return Outcome.warn(
          "reflink could not be tested in " + dir + " (" + e.getMessage() + "): " + NO_REFLINK,
          REFLINK_FIX);
    }
    return reflink.supported()
        ? Outcome.pass(reflink.detail())
        : Outcome.warn(reflink.detail() + ": " + NO_REFLINK, REFLINK_FIX);
  }

  private Outcome runtimeDir() throws IOException {
    Path dir = layout.runtimeDir();
    int euid = posix.geteuid();
    Optional<FileStatus> status = probe.stat(dir);
    if (status.isEmpty()) {
      Path parent = nearestExisting(dir);
      if (probe.canReadAndWrite(parent)) {
        return Outcome.pass(dir + " does not exist yet; the daemon can create it in " + parent);
      }
      return Outcome.fail(
          dir + " does not exist and " + parent + " is not writable by uid " + euid,
          "mkdir -p " + dir + " && chmod 755 " + dir + ", or set runtime_dir to a folder you own");
    }
    FileStatus s = status.get();
    String found = " (mode " + s.octalMode() + ", owner uid " + s.ownerUid() + ")";
    if (!s.directory()) {
      return Outcome.fail(
          dir + " is not a folder" + found, "remove it or set runtime_dir elsewhere");
    }
    if ((s.mode() & 0002) != 0) {
      return Outcome.fail(
          dir + " is world-writable" + found + ": anyone could replace the socket",
          "chmod o-w " + dir);
    }
    if (s.ownerUid() != 0 && s.ownerUid() != euid) {
      return Outcome.fail(
          dir + " is owned by neither root nor uid " + euid + found,
          "chown root " + dir + " (or the daemon's user)");
    }
    return Outcome.pass(dir + found);
  }

  private Outcome socketGroup() {
    Optional<String> group = config.socketGroup();
    if (group.isEmpty()) {
      return Outcome.pass("socket kept to root and the daemon's user (socket_group = \"\")");
    }
    OptionalInt gid = posix.groupId(group.get());
    if (gid.isPresent()) {
      return Outcome.pass("group " + group.get() + " exists (gid " + gid.getAsInt() + ")");
    }
    return Outcome.warn(
        "group "
            + group.get()
            + " does not exist: the daemon keeps the socket to root and its"
            + " own user",
        "groupadd " + group.get());
  }

  private Outcome sqlite() {
    Path db = layout.database();
    if (!probe.exists(db)) {
      return Outcome.pass(db + " does not exist: will be created at first daemon start");
    }
    int version;
    try {
      version = schemaVersion(db);
    } catch (SQLException e) {
      return Outcome.fail(
          db + " cannot be read as a SQLite database: " + e.getMessage(),
          "move " + db + " aside (the daemon then starts with an empty one) or restore a backup");
    }
    int latest = Schema.latestVersion();
    if (version > latest) {
      return Outcome.fail(
          db + " has schema version " + version + ", newer than this hearth knows (" + latest + ")",
          "upgrade hearth, or point state_dir elsewhere");
    }
    if (version < latest) {
      return Outcome.pass(
          db
              + " has schema version "
              + version
              + "; the daemon migrates it to "
              + latest
              + " at start");
    }
    return Outcome.pass(db + " has schema version " + version + " (current)");
  }

  /**
   * Reads PRAGMA user_version without creating or changing any file. A read-only connection to a
   * WAL database still creates the -wal and -shm files when they are missing, and cannot remove
   * them afterwards; so unless a daemon (or its crash) left them there to read through, the file is
   * opened as immutable, which reads the main file alone and touches nothing.
   */
  static int schemaVersion(Path db) throws SQLException {
    boolean walInUse =
        Files.exists(db.resolveSibling(db.getFileName() + "-wal"))
            && Files.exists(db.resolveSibling(db.getFileName() + "-shm"));
    SQLiteConfig sqlite = new SQLiteConfig();
    sqlite.setReadOnly(true);
    sqlite.setOpenMode(SQLiteOpenMode.OPEN_URI);
    sqlite.setBusyTimeout((int) COMMAND_TIMEOUT.toMillis());
    String uri = db.toUri() + (walInUse ? "?mode=ro" : "?mode=ro&immutable=1");
    try (Connection c = sqlite.createConnection("jdbc:sqlite:" + uri);
        Statement st = c.createStatement()) {
      // Reading the schema fails on a file that is not a database, or a damaged one.
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
        rs.next();
      }
      try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  private Outcome sshKey() throws IOException {
    Path key = layout.sshPrivateKey();
    Optional<FileStatus> status = probe.stat(key);
    if (status.isEmpty()) {
      return Outcome.warn(
          key + " does not exist: created at first daemon start", "start the daemon once");
    }
    FileStatus s = status.get();
    if ((s.mode() & 0077) != 0) {
      return Outcome.fail(
          key + " has mode " + s.octalMode() + ": group or others may read the private key",
          "chmod 600 " + key);
    }
    return Outcome.pass(key + " (mode " + s.octalMode() + ")");
  }

  private Outcome privileges() {
    int euid = posix.geteuid();
    if (euid == 0) {
      return Outcome.pass("running as root");
    }
    return Outcome.warn(
        "running as uid " + euid + ": host networking and device-mapper need root",
        "run the daemon as root");
  }

  /** The path itself when it exists, else its nearest existing ancestor. */
  private Path nearestExisting(Path path) {
    Path candidate = path;
    while (candidate != null && !probe.exists(candidate)) {
      candidate = candidate.getParent();
    }
    return candidate == null ? path.getRoot() : candidate;
  }

  private Path configFile() {
    return config.source().orElse(Config.DEFAULT_FILE);
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int newline = stripped.indexOf('\n');
    return newline < 0 ? stripped : stripped.substring(0, newline);
  }

  private static byte[] toBytes(Ipv4 ip) {
    int[] octets = ip.octets();
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      bytes[i] = (byte) octets[i];
    }
    return bytes;
  }
}

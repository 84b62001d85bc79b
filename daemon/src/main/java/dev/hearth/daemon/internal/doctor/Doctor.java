package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.Clock;
import dev.hearth.core.Config;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.VmmSelector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hearth's doctor (ARCHITECTURE.md, "Doctor"): checks that this host can run hearth and says, for
 * each check, what it found and a one-line fix. Checks only look: nothing is created or changed,
 * except a temporary file for the reflink test that is removed again.
 *
 * <p>A check that throws becomes a FAIL of that check and the others still run; an interrupt is the
 * one exception, and stops the doctor.
 *
 * <p>The checks live in {@link VmmChecks}, {@link NetworkChecks} and {@link StorageChecks}; the
 * host tool checks are here. This class runs them in the report's order.
 */
public final class Doctor extends HostChecks {
  private static final Logger log = LoggerFactory.getLogger(Doctor.class);
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

  private final VmmSelector vmmSelector;
  private final VmmChecks vmmChecks;
  private final NetworkChecks network;
  private final StorageChecks storage;

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
    super(config, runner, posix, probe);
    this.vmmSelector = vmmSelector;
    this.vmmChecks = new VmmChecks(config, runner, posix, probe, vmmSelector);
    this.network = new NetworkChecks(config, runner, posix, probe);
    this.storage = new StorageChecks(config, runner, posix, probe, deviceMapper);
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
    checks.add(guard("kvm", () -> vmmChecks.kvm(choice)));
    checks.add(guard("vmm", () -> vmmChecks.vmm(choice)));
    checks.add(guard("firecracker", () -> vmmChecks.firecracker(choice)));
    checks.add(
        guard(
            "qemu-system-x86_64",
            () -> vmmChecks.qemuTool(choice, "qemu-system-x86_64", "qemu-system-x86")));
    checks.add(guard("setpriv", () -> vmmChecks.qemuTool(choice, "setpriv", "util-linux")));
    checks.add(guard("jailer", vmmChecks::jailer));
    DoctorCheck dm = guard("device-mapper", storage::deviceMapper);
    checks.add(dm);
    boolean dmSnapshots = dm.status() == Status.PASS;
    checks.add(guard("disk-provisioner", () -> storage.diskProvisioner(dmSnapshots)));
    checks.add(guard("losetup", () -> requiredTool("losetup", "mount")));
    checks.add(guard("ip", () -> requiredTool("ip", "iproute2")));
    checks.add(guard("firewall", network::firewall));
    checks.add(guard("tun", network::tun));
    checks.add(guard("ip-forward", network::ipForward));
    checks.add(guard("bridge-cidr", network::bridgeCidr));
    checks.add(guard("dns-port", network::dnsPort));
    checks.add(guard("setsid", () -> tool("setsid", "util-linux", Status.FAIL, EVERY_BOOT)));
    checks.add(guard("debugfs", () -> tool("debugfs", "e2fsprogs", Status.FAIL, IDENTITY)));
    checks.add(guard("e2fsck", () -> tool("e2fsck", "e2fsprogs", Status.WARN, GROW)));
    checks.add(guard("resize2fs", () -> tool("resize2fs", "e2fsprogs", Status.WARN, GROW)));
    checks.add(guard("debootstrap", () -> tool("debootstrap", "debootstrap", Status.WARN, BUILD)));
    checks.add(guard("debootstrap-keyring", this::debootstrapKeyring));
    checks.add(guard("mkfs.ext4", () -> tool("mkfs.ext4", "e2fsprogs", Status.WARN, BUILD)));
    checks.add(guard("xz", () -> tool("xz", "xz-utils", Status.WARN, EXTRACT)));
    checks.add(guard("tar", () -> tool("tar", "tar", Status.WARN, TAR)));
    checks.add(guard("state-dir", storage::stateDir));
    checks.add(guard("reflink", storage::reflink));
    checks.add(guard("runtime-dir", storage::runtimeDir));
    checks.add(guard("socket-group", storage::socketGroup));
    checks.add(guard("sqlite", storage::sqlite));
    checks.add(guard("ssh-key", storage::sshKey));
    checks.add(guard("privileges", storage::privileges));
    return new DoctorReport(checks);
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
}

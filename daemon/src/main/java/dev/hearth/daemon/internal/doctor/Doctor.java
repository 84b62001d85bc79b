package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.Cgroups;
import dev.hearth.core.CheckOutcome;
import dev.hearth.core.StateChecks;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.dmsnap.DiskChecks;
import dev.hearth.fcproc.VmmChecks;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.dns.DnsChecks;
import dev.hearth.fcproc.net.NetworkChecks;
import dev.hearth.imagemgr.ImageToolChecks;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hearth's doctor (ARCHITECTURE.md, "Doctor"): checks that this host can run hearth and says, for
 * each check, what it found and a one-line fix. Checks only look: nothing is created or changed,
 * except a temporary file for the reflink test that is removed again.
 *
 * <p>The checks are the leaves' ({@link Checks}), each over the same probes the daemon uses; this
 * class only names them, puts them in the report's stable order, and turns a check that throws into
 * a FAIL of that check so that the others still run. An interrupt is the one exception, and stops
 * the doctor.
 */
public final class Doctor {
  private static final Logger log = LoggerFactory.getLogger(Doctor.class);

  /** The leaves' checks, built by the composition root over real probes (tests: fakes). */
  public record Checks(
      VmmChecks vmm,
      NetworkChecks network,
      DiskChecks disks,
      ImageToolChecks imageTools,
      StateChecks state,
      Cgroups cgroups,
      DnsChecks dns) {}

  private final Checks checks;

  public Doctor(Checks checks) {
    this.checks = checks;
  }

  /**
   * Runs every check, in the stable order of the report.
   *
   * @throws InterruptedException when the calling thread is interrupted; the running check's
   *     command is killed and no report is made
   */
  public DoctorReport check() throws InterruptedException {
    VmmChecks vmm = checks.vmm();
    NetworkChecks network = checks.network();
    DiskChecks disks = checks.disks();
    ImageToolChecks tools = checks.imageTools();
    StateChecks state = checks.state();
    List<DoctorCheck> report = new ArrayList<>();
    // One choice for every check, made as the daemon makes it (it probes KVM once).
    VmmChoice choice = vmm.choose();
    report.add(guard("kvm", () -> vmm.kvm(choice)));
    report.add(guard("vmm", () -> vmm.vmm(choice)));
    report.add(guard("firecracker", () -> vmm.firecracker(choice)));
    report.add(
        guard(
            "qemu-system-x86_64",
            () -> vmm.qemuTool(choice, "qemu-system-x86_64", "qemu-system-x86")));
    report.add(guard("setpriv", () -> vmm.qemuTool(choice, "setpriv", "util-linux")));
    report.add(guard("jailer", vmm::jailer));
    DoctorCheck dm = guard("device-mapper", disks::deviceMapper);
    report.add(dm);
    boolean dmSnapshots = dm.status() == Status.PASS;
    report.add(guard("disk-provisioner", () -> disks.diskProvisioner(dmSnapshots)));
    report.add(guard("losetup", disks::losetup));
    report.add(guard("ip", network::ip));
    report.add(guard("firewall", network::firewall));
    report.add(guard("nft-bridge", network::bridgeFilter));
    report.add(guard("tun", network::tun));
    report.add(guard("ip-forward", network::ipForward));
    report.add(guard("bridge-cidr", network::bridgeCidr));
    report.add(guard("dns-port", network::dnsPort));
    report.add(guard("dns-upstream", checks.dns()::upstreams));
    report.add(guard("dns-host", checks.dns()::hostResolution));
    report.add(guard("egress", network::egress));
    report.add(guard("setsid", vmm::setsid));
    report.add(guard("debugfs", tools::debugfs));
    report.add(guard("e2fsck", () -> disks.growTool("e2fsck")));
    report.add(guard("resize2fs", () -> disks.growTool("resize2fs")));
    report.add(guard("debootstrap", tools::debootstrap));
    report.add(guard("debootstrap-keyring", tools::debootstrapKeyring));
    report.add(guard("mkfs.ext4", tools::mkfsExt4));
    report.add(guard("xz", tools::xz));
    report.add(guard("tar", tools::tar));
    report.add(guard("state-dir", state::stateDir));
    report.add(guard("reflink", disks::reflink));
    report.add(guard("runtime-dir", state::runtimeDir));
    report.add(guard("socket-group", state::socketGroup));
    report.add(guard("sqlite", state::sqlite));
    report.add(guard("ssh-key", state::sshKey));
    report.add(guard("quarantine", state::quarantine));
    report.add(guard("privileges", state::privileges));
    report.add(guard("cgroups", checks.cgroups()::check));
    report.add(guard("vm-user", vmm::vmUser));
    return new DoctorReport(report);
  }

  @FunctionalInterface
  private interface Check {
    CheckOutcome run() throws Exception;
  }

  private static DoctorCheck guard(String name, Check check) throws InterruptedException {
    CheckOutcome outcome;
    try {
      outcome = check.run();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception | LinkageError e) {
      // A broken check must not hide the others: report it as this check's failure.
      log.warn("doctor check {} could not run", name, e);
      String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
      outcome =
          CheckOutcome.fail(
              "the check could not run: " + message,
              "unexpected: report it to the hearth developers with this line");
    }
    return new DoctorCheck(
        name, Status.valueOf(outcome.status().name()), outcome.detail(), outcome.fix());
  }
}

package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Cgroups;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The doctor as a whole (order, a throwing or interrupted check) and its host tool checks. */
class DoctorTest extends DoctorFixture {
  @Test
  void everyCheckPassesOnAHealthyHostInTheStableOrder() throws Exception {
    DoctorReport report = report();

    assertThat(report.checks())
        .extracting(DoctorCheck::name)
        .containsExactlyElementsOf(CHECK_NAMES);
    assertThat(report.checks())
        .allSatisfy(
            c -> {
              assertThat(c.status()).as(c.name() + ": " + c.detail()).isEqualTo(Status.PASS);
              assertThat(c.fix()).as(c.name()).isEmpty();
              assertThat(c.detail()).as(c.name()).isNotBlank();
            });
    assertThat(report.failed()).isFalse();
  }

  @Test
  void aThrowingProbeFailsOnlyItsCheck() throws Exception {
    probe.broken("/proc/sys/net/ipv4/ip_forward");

    DoctorReport report = report();

    assertThat(report.checks())
        .extracting(DoctorCheck::name)
        .containsExactlyElementsOf(CHECK_NAMES);
    DoctorCheck forward = check(report, "ip-forward");
    assertThat(forward.status()).isEqualTo(Status.FAIL);
    assertThat(forward.detail())
        .isEqualTo("the check could not run: probe broke on /proc/sys/net/ipv4/ip_forward");
    assertThat(forward.fix()).isNotEmpty();
    assertThat(report.checks())
        .filteredOn(c -> c != forward)
        .extracting(DoctorCheck::status)
        .containsOnly(Status.PASS);
  }

  @Test
  void anInterruptStopsTheDoctor() {
    Runner interrupted =
        command -> {
          throw new InterruptedException("stop");
        };
    Doctor doctor = doctor(interrupted);

    assertThatThrownBy(doctor::check).isInstanceOf(InterruptedException.class).hasMessage("stop");
  }

  @Nested
  class FeatureTools {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
      "setsid, util-linux, FAIL, every VM boot",
      "debugfs, e2fsprogs, FAIL, vm create writes",
      "e2fsck, e2fsprogs, WARN, vm create --disk-size",
      "resize2fs, e2fsprogs, WARN, vm create --disk-size",
      "debootstrap, debootstrap, WARN, image build",
      "mkfs.ext4, e2fsprogs, WARN, image build",
      "xz, xz-utils, WARN, image build (Debian's kernel)",
      "tar, tar, WARN, image build caches"
    })
    void missingNamesWhatFailsAndThePackage(
        String program, String debianPackage, Status status, String neededBy) throws Exception {
      probe.onPath(program, null);

      DoctorCheck check = check(program);

      assertThat(check.status()).isEqualTo(status);
      assertThat(check.detail()).startsWith(program + " not found on PATH: " + neededBy);
      assertThat(check.fix()).isEqualTo("apt-get install " + debianPackage);
    }

    @Test
    void presentToolsPassWithTheirPath() throws Exception {
      assertThat(check("debootstrap").detail()).isEqualTo("/usr/sbin/debootstrap");
      assertThat(check("debugfs").status()).isEqualTo(Status.PASS);
    }

    @Test
    void theDebianKeyringIsCheckedForDebootstrap() throws Exception {
      assertThat(check("debootstrap-keyring").detail())
          .isEqualTo("/usr/share/keyrings/debian-archive-keyring.gpg");

      probe.remove("/usr/share/keyrings/debian-archive-keyring.gpg");
      DoctorCheck keyring = check("debootstrap-keyring");

      assertThat(keyring.status()).isEqualTo(Status.WARN);
      assertThat(keyring.detail()).contains("cannot check the signature");
      assertThat(keyring.fix()).isEqualTo("apt-get install debian-archive-keyring");
    }
  }

  @Nested
  class Tools {
    @Test
    void missingLosetupFailsNamingItsPackage() throws Exception {
      probe.onPath("losetup", null);

      DoctorCheck losetup = check("losetup");

      assertThat(losetup.status()).isEqualTo(Status.FAIL);
      assertThat(losetup.detail()).isEqualTo("losetup not found on PATH");
      assertThat(losetup.fix()).isEqualTo("apt-get install mount");
    }

    @Test
    void missingIpFailsNamingItsPackage() throws Exception {
      probe.onPath("ip", null);

      DoctorCheck ip = check("ip");

      assertThat(ip.status()).isEqualTo(Status.FAIL);
      assertThat(ip.fix()).isEqualTo("apt-get install iproute2");
    }

    @Test
    void presentToolsNameTheirPath() throws Exception {
      assertThat(check("losetup").detail()).isEqualTo("/usr/sbin/losetup");
    }

    @Test
    void firewallPrefersNft() throws Exception {
      probe.onPath("iptables", "/usr/sbin/iptables");
      assertThat(check("firewall").detail()).isEqualTo("nft (/usr/sbin/nft)");
    }

    @Test
    void firewallFallsBackToIptables() throws Exception {
      probe.onPath("nft", null).onPath("iptables", "/usr/sbin/iptables");

      DoctorCheck firewall = check("firewall");

      assertThat(firewall.status()).isEqualTo(Status.PASS);
      assertThat(firewall.detail()).startsWith("iptables (/usr/sbin/iptables");
    }

    @Test
    void noFirewallToolFails() throws Exception {
      probe.onPath("nft", null);

      DoctorCheck firewall = check("firewall");

      assertThat(firewall.status()).isEqualTo(Status.FAIL);
      assertThat(firewall.fix()).isEqualTo("apt-get install nftables");
    }

    @Test
    void nftBridgeTablesAreCheckedWithoutAddingOne() throws Exception {
      DoctorCheck bridge = check("nft-bridge");

      assertThat(bridge.status()).isEqualTo(Status.PASS);
      assertThat(runner.commands())
          .filteredOn(c -> c.argv().contains("-c"))
          .filteredOn(c -> new String(c.stdin().orElseThrow()).contains("table bridge"))
          .hasSize(1);
    }

    @Test
    void withANetworkRateTheProbeAlsoHasTheTapLimitRule() throws Exception {
      String plain = bridgeProbe();
      assertThat(plain).contains("oifname vmap @limits_out").doesNotContain("limit rate");

      configure(ConfigKey.VM_NET_BANDWIDTH, "1048576");

      assertThat(bridgeProbe()).contains("limit rate over 1000 bytes/second");
    }

    private String bridgeProbe() throws Exception {
      assertThat(check("nft-bridge").status()).isEqualTo(Status.PASS);
      List<String> probes =
          runner.commands().stream()
              .filter(c -> c.argv().contains("-c"))
              .map(c -> new String(c.stdin().orElseThrow()))
              .filter(t -> t.contains("table bridge"))
              .toList();
      return probes.get(probes.size() - 1);
    }

    @Test
    void aKernelWithoutNftBridgeTablesFails() throws Exception {
      runner.on(
          List.of("/usr/sbin/nft", "-c", "-f", "-"),
          1,
          "",
          "Error: Could not process rule: Operation not supported\n");

      DoctorCheck bridge = check("nft-bridge");

      assertThat(bridge.status()).isEqualTo(Status.FAIL);
      assertThat(bridge.detail()).contains("Operation not supported").contains("VMs cannot start");
      assertThat(bridge.fix()).contains("CONFIG_NF_TABLES_BRIDGE");
    }

    @Test
    void missingTunFails() throws Exception {
      probe.remove("/dev/net/tun");

      DoctorCheck tun = check("tun");

      assertThat(tun.status()).isEqualTo(Status.FAIL);
      assertThat(tun.fix()).isEqualTo("modprobe tun");
    }
  }

  @Test
  void notRootWarns() throws Exception {
    posix = new FakePosix(1000, 1000).group("hearth", 990);

    DoctorCheck privileges = check("privileges");

    assertThat(privileges.status()).isEqualTo(Status.WARN);
    assertThat(privileges.detail())
        .isEqualTo("running as uid 1000: host networking and device-mapper need root");
    assertThat(privileges.fix()).isEqualTo("run the daemon as root");
  }

  @Test
  void withoutUsableCgroupsItWarnsThatBuildsAreUnbounded() throws Exception {
    cgroups = Cgroups.none("no cgroup2 or cgroup mounts in /proc/self/mountinfo");

    DoctorCheck check = check("cgroups");

    assertThat(check.status()).isEqualTo(Status.WARN);
    assertThat(check.detail())
        .isEqualTo(
            "no usable cgroups: no cgroup2 or cgroup mounts in /proc/self/mountinfo; image builds"
                + " run without memory or process limits, and VMs cannot start while"
                + " vm_unprivileged = true");
    assertThat(check.fix()).contains("memory and pids cgroup controllers");
  }

  @Test
  void vmUserPassesNamingTheUserAndFailsWithoutIt() throws Exception {
    DoctorCheck check = check("vm-user");
    assertThat(check.status()).isEqualTo(Status.PASS);
    assertThat(check.detail()).contains("'hearth-vm' (uid 995, gid 995)", "no capabilities");

    posix = new FakePosix(0, 0).group("hearth", 990);
    check = check("vm-user");
    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.detail()).contains("vm_user 'hearth-vm' does not exist");
    assertThat(check.fix()).contains("useradd --system", "hearth-vm");
  }

  @Test
  void vmUserWarnsWhenVmmsRunAsRootAndSaysWhenUidsArePerVm() throws Exception {
    config = config.with(ConfigKey.VM_UID_PER_VM, "true");
    assertThat(check("vm-user").detail()).contains("each VM a uid of its own from vm_uid_range");

    config = config.with(ConfigKey.VM_UNPRIVILEGED, "false");
    DoctorCheck check = check("vm-user");
    assertThat(check.status()).isEqualTo(Status.WARN);
    assertThat(check.detail()).contains("every VMM runs as root");
  }

  @Test
  void vmUserFailsWhenTheStateFoldersParentIsNotSearchable() throws Exception {
    probe.dir("/var/lib", 0750, 0);

    DoctorCheck check = check("vm-user");

    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.detail()).contains("/var/lib (mode 0750) is not searchable by vm_user");
    assertThat(check.fix()).isEqualTo("chmod o+x /var/lib");
  }

  @Test
  void vmUserFailsWhenTunCannotBeOpenedByVmUnlessTheVmmIsJailed() throws Exception {
    probe.file("/dev/net/tun", 0600, 0);
    assertThat(check("vm-user").status())
        .as("a jailed firecracker gets a node of its own in its chroot")
        .isEqualTo(Status.PASS);

    probe.onPath("jailer", null);
    DoctorCheck check = check("vm-user");

    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.detail())
        .isEqualTo(
            "/dev/net/tun (mode 0600) cannot be opened for reading and writing by vm_user, so its"
                + " VMMs cannot attach to their TAPs and every VM fails to boot");
    assertThat(check.fix()).startsWith("chmod 0666 /dev/net/tun");
    probe.file("/dev/net/tun", 0666, 0);
    assertThat(check("vm-user").status()).isEqualTo(Status.PASS);
  }

  @Test
  void vmUserFailsWhenTheVmmDoesNotRunAsVmUser() throws Exception {
    assertThat(check("vm-user").status()).isEqualTo(Status.PASS);
    assertThat(runner.commands())
        .as("with the jailer, firecracker is copied into its chroot: not run as vm_user here")
        .noneMatch(c -> c.argv().get(0).equals("setpriv"));
    probe.onPath("jailer", null);
    assertThat(check("vm-user").status()).isEqualTo(Status.PASS);
    List<String> asVmUser =
        runner.commands().stream()
            .map(c -> c.argv())
            .filter(argv -> argv.get(0).equals("setpriv"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no setpriv in " + runner.commands()));
    assertThat(asVmUser.subList(0, 5))
        .containsExactly("setpriv", "--reuid=995", "--regid=995", "--clear-groups", "--");
    assertThat(asVmUser.get(asVmUser.size() - 1)).isEqualTo("--version");
    String vmm = asVmUser.get(5);

    runner.on(asVmUser, 126, "", "/bin/sh: 0: cannot open " + vmm + ": Permission denied\n");
    DoctorCheck check = check("vm-user");

    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.detail())
        .contains("the VMM " + vmm + " does not run as vm_user 'hearth-vm'")
        .contains("exited 126")
        .contains("Permission denied");
    assertThat(check.fix()).contains("chmod o+rx");
  }

  @Test
  void vmUserFailsWhenIpCannotMakeOwnedTaps() throws Exception {
    runner.on(List.of("ip", "tuntap", "help"), 255, "", "Usage: ip tuntap { add | del }\n");

    DoctorCheck check = check("vm-user");

    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.detail()).contains("cannot make a TAP owned by a user");
  }
}

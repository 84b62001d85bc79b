package dev.hearth.daemon.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.CommandException;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorCheck.Status;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.dmsnap.ReflinkProbe.Reflink;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * dmsnap's DiskChecks and core's StateChecks: device-mapper, provisioner, folders, reflink, socket
 * group, key.
 */
class StorageChecksTest extends DoctorFixture {
  @Nested
  class DeviceMapper {
    private static final String UNAVAILABLE =
        "device-mapper snapshots unavailable: VM disks will be full copies (copy provisioner)";

    private void assertUnavailable(String reason) throws InterruptedException {
      DoctorReport report = report();
      DoctorCheck dm = check(report, "device-mapper");
      assertThat(dm.status()).isEqualTo(Status.WARN);
      assertThat(dm.detail()).isEqualTo(UNAVAILABLE + "; " + reason);
      assertThat(dm.fix()).isEqualTo("apt-get install dmsetup; modprobe dm_snapshot");
      assertThat(check(report, "disk-provisioner").detail())
          .isEqualTo(
              "copy (auto: device-mapper snapshots are unavailable): VM disks are full copies of"
                  + " the image");
    }

    @Test
    void workingSnapshotTargetPasses() throws Exception {
      DoctorCheck dm = check("device-mapper");
      assertThat(dm.status()).isEqualTo(Status.PASS);
      assertThat(dm.detail()).isEqualTo("device-mapper with the snapshot target");
    }

    @Test
    void missingDmsetupWarns() throws Exception {
      runner.on(
          List.of("dmsetup", "targets"),
          c -> {
            throw new CommandException(
                c.argv(), CommandException.NO_EXIT_CODE, "", "could not be started: not found");
          });
      assertUnavailable(
          "dmsetup cannot be run: command `dmsetup targets` could not be started: not found");
    }

    @Test
    void missingControlDeviceWarns() throws Exception {
      Files.delete(mapperControl);
      assertUnavailable(
          mapperControl + " is missing: the kernel has no device-mapper (or dm_mod is not loaded)");
    }

    @Test
    void noSnapshotTargetWarnsListingTheTargets() throws Exception {
      runner.on(List.of("dmsetup", "targets"), 0, "striped  v1.6.0\nlinear   v1.4.0\n", "");
      assertUnavailable(
          "device-mapper has no snapshot target (dmsetup targets lists: linear, striped)");
    }

    @Test
    void failingDmsetupWarnsWithTheFirstLineOfItsError() throws Exception {
      runner.on(
          List.of("dmsetup", "targets"),
          1,
          "",
          "/dev/mapper/control: open failed: No such device\n"
              + "Failure to communicate with kernel device-mapper driver.\n");
      assertUnavailable(
          "`dmsetup targets` failed (exit code 1): /dev/mapper/control: open failed: No such"
              + " device");
    }
  }

  @Nested
  class DiskProvisioner {
    @Test
    void autoPicksDmSnapshotWhenItWorks() throws Exception {
      assertThat(check("disk-provisioner").detail())
          .isEqualTo("dm-snapshot (auto: device-mapper snapshots work)");
    }

    @Test
    void configuredDmSnapshotWithoutDeviceMapperFails() throws Exception {
      configure(ConfigKey.DISK_PROVISIONER, "dm-snapshot");
      Files.delete(mapperControl);

      DoctorCheck disk = check("disk-provisioner");

      assertThat(disk.status()).isEqualTo(Status.FAIL);
      assertThat(disk.detail()).contains("dm-snapshot").contains("not available");
      assertThat(disk.fix()).contains("disk_provisioner = \"auto\"");
    }

    @Test
    void configuredDmSnapshotPassesWhenAvailable() throws Exception {
      configure(ConfigKey.DISK_PROVISIONER, "dm-snapshot");
      assertThat(check("disk-provisioner").detail()).isEqualTo("dm-snapshot (configured)");
    }

    @Test
    void configuredCopyPassesWithoutDeviceMapper() throws Exception {
      configure(ConfigKey.DISK_PROVISIONER, "copy");
      Files.delete(mapperControl);

      DoctorCheck disk = check("disk-provisioner");

      assertThat(disk.status()).isEqualTo(Status.PASS);
      assertThat(disk.detail()).startsWith("copy (configured)");
    }
  }

  @Nested
  class StateDir {
    @Test
    void passesWithTheFigure() throws Exception {
      assertThat(check("state-dir").detail()).isEqualTo("50 GiB free in /var/lib/hearth");
    }

    @Test
    void lessThanOneGibFails() throws Exception {
      probe.space("/var/lib/hearth", 512L << 20);

      DoctorCheck state = check("state-dir");

      assertThat(state.status()).isEqualTo(Status.FAIL);
      assertThat(state.detail()).startsWith("512 MiB free in /var/lib/hearth");
    }

    @Test
    void lessThanTenGibWarns() throws Exception {
      probe.space("/var/lib/hearth", 5 * GIB);

      DoctorCheck state = check("state-dir");

      assertThat(state.status()).isEqualTo(Status.WARN);
      assertThat(state.detail()).startsWith("5 GiB free in /var/lib/hearth");
    }

    @Test
    void aMissingStateDirIsMeasuredAtItsNearestParent() throws Exception {
      probe.remove("/var/lib/hearth").remove("/var/lib").space("/var", 20 * GIB);

      DoctorCheck state = check("state-dir");

      assertThat(state.status()).isEqualTo(Status.PASS);
      assertThat(state.detail())
          .isEqualTo("20 GiB free in /var/lib/hearth (not created yet; measured at /var)");
    }
  }

  @Nested
  class ReflinkSupport {
    @Test
    void unsupportedWarns() throws Exception {
      probe.reflink(new Reflink(false, "cp --reflink=always in /var/lib/hearth: not supported"));

      DoctorCheck reflink = check("reflink");

      assertThat(reflink.status()).isEqualTo(Status.WARN);
      assertThat(reflink.detail()).endsWith(": copies will be sparse full copies");
      assertThat(reflink.fix()).contains("btrfs");
    }

    @Test
    void aMissingStateDirIsTestedInItsNearestParent() throws Exception {
      probe.remove("/var/lib/hearth");

      assertThat(check("reflink").status()).isEqualTo(Status.PASS);
      assertThat(probe.reflinkDirs()).containsExactly(java.nio.file.Path.of("/var/lib"));
    }

    @Test
    void anUnwritableFolderWarns() throws Exception {
      probe.reflinkError(new AccessDeniedException("/var/lib/hearth/.hearth-doctor-1.src"));

      DoctorCheck reflink = check("reflink");

      assertThat(reflink.status()).isEqualTo(Status.WARN);
      assertThat(reflink.detail()).startsWith("reflink could not be tested in /var/lib/hearth");
    }
  }

  @Nested
  class RuntimeDir {
    @Test
    void passesWithModeAndOwner() throws Exception {
      assertThat(check("runtime-dir").detail()).isEqualTo("/run/hearth (mode 0755, owner uid 0)");
    }

    @Test
    void missingButCreatablePasses() throws Exception {
      probe.remove("/run/hearth");

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.PASS);
      assertThat(runtime.detail()).contains("can create it in /run");
    }

    @Test
    void missingUnderAnUnwritableParentFails() throws Exception {
      posix = new FakePosix(1000, 1000);
      probe.remove("/run/hearth").readWrite("/run", false);

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.FAIL);
      assertThat(runtime.detail())
          .isEqualTo("/run/hearth does not exist and /run is not writable by uid 1000");
    }

    @Test
    void worldWritableFailsNamingPathAndMode() throws Exception {
      probe.dir("/run/hearth", 0777, 0);

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.FAIL);
      assertThat(runtime.detail())
          .startsWith("/run/hearth is world-writable (mode 0777, owner uid 0)");
      assertThat(runtime.fix()).isEqualTo("chmod o-w /run/hearth");
    }

    @Test
    void ownedBySomeoneElseFails() throws Exception {
      probe.dir("/run/hearth", 0755, 1234);

      DoctorCheck runtime = check("runtime-dir");

      assertThat(runtime.status()).isEqualTo(Status.FAIL);
      assertThat(runtime.detail())
          .isEqualTo("/run/hearth is owned by neither root nor uid 0 (mode 0755, owner uid 1234)");
    }

    @Test
    void ownedByTheDaemonsUserPasses() throws Exception {
      posix = new FakePosix(1000, 1000);
      probe.dir("/run/hearth", 0700, 1000);

      assertThat(check("runtime-dir").status()).isEqualTo(Status.PASS);
    }

    @Test
    void aFileInsteadOfAFolderFails() throws Exception {
      probe.file("/run/hearth", 0644, 0);

      assertThat(check("runtime-dir").status()).isEqualTo(Status.FAIL);
    }
  }

  @Nested
  class SocketGroup {
    @Test
    void existingGroupPassesWithItsGid() throws Exception {
      assertThat(check("socket-group").detail()).isEqualTo("group hearth exists (gid 990)");
    }

    @Test
    void noGroupConfiguredPasses() throws Exception {
      configure(ConfigKey.SOCKET_GROUP, "");

      DoctorCheck group = check("socket-group");

      assertThat(group.status()).isEqualTo(Status.PASS);
      assertThat(group.detail()).startsWith("socket kept to root and the daemon's user");
    }

    @Test
    void missingGroupWarns() throws Exception {
      configure(ConfigKey.SOCKET_GROUP, "devs");

      DoctorCheck group = check("socket-group");

      assertThat(group.status()).isEqualTo(Status.WARN);
      assertThat(group.detail()).contains("keeps the socket to root");
      assertThat(group.fix()).isEqualTo("groupadd devs");
    }
  }

  @Nested
  class SshKey {
    @Test
    void missingWarns() throws Exception {
      probe.remove(SSH_KEY);

      DoctorCheck key = check("ssh-key");

      assertThat(key.status()).isEqualTo(Status.WARN);
      assertThat(key.detail())
          .isEqualTo(SSH_KEY + " does not exist: created at first daemon start");
    }

    @Test
    void readableByOthersFails() throws Exception {
      probe.file(SSH_KEY, 0644, 0);

      DoctorCheck key = check("ssh-key");

      assertThat(key.status()).isEqualTo(Status.FAIL);
      assertThat(key.detail()).contains("mode 0644");
      assertThat(key.fix()).isEqualTo("chmod 600 " + SSH_KEY);
    }

    @Test
    void groupBitsAloneFail() throws Exception {
      probe.file(SSH_KEY, 0640, 0);
      assertThat(check("ssh-key").status()).isEqualTo(Status.FAIL);
    }
  }

  @Nested
  class QuarantineFolder {
    static final String DIR = "/var/lib/hearth/quarantine";

    @Test
    void emptyOrMissingPasses() throws Exception {
      DoctorCheck q = check("quarantine");

      assertThat(q.status()).isEqualTo(Status.PASS);
      assertThat(q.detail()).isEqualTo("nothing quarantined in " + DIR);
    }

    @Test
    void listsWhatReconcileMovedAsideWithSizesAndTheCommandToRemoveIt() throws Exception {
      probe
          .tree(DIR + "/20261205T010203Z-vm-abc123", 3 * GIB)
          .tree(DIR + "/20261205T010203Z-disk-def456-rootfs.ext4", 512L << 20);

      DoctorCheck q = check("quarantine");

      assertThat(q.status()).isEqualTo(Status.WARN);
      assertThat(q.detail())
          .startsWith("2 item(s), 3.5 GiB, in " + DIR)
          .contains("did not list")
          .contains("20261205T010203Z-vm-abc123 (3 GiB)")
          .contains("20261205T010203Z-disk-def456-rootfs.ext4 (512 MiB)");
      assertThat(q.fix())
          .endsWith(
              "rm -rf -- '"
                  + DIR
                  + "/20261205T010203Z-disk-def456-rootfs.ext4' '"
                  + DIR
                  + "/20261205T010203Z-vm-abc123'");
    }
  }
}

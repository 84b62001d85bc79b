package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.FileSync;
import dev.hearth.core.Layout;
import dev.hearth.core.Names;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dm-snapshot for real: loops, a snapshot device, growth and removal. Needs root and a kernel with
 * device-mapper; skipped with the probe's reason where the kernel has none.
 */
@Tag("dm")
@RequiresRoot
@RequiresBinary({
  "losetup",
  "dmsetup",
  "blockdev",
  "mkfs.ext4",
  "e2fsck",
  "resize2fs",
  "dumpe2fs",
  "dd"
})
class DmSnapshotHostTest {
  private static final long MIB = 1 << 20;

  @TempDir Path tmp;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private Layout layout;
  private Path image;
  private DmSnapshotProvisioner provisioner;

  @BeforeEach
  void setUp() throws Exception {
    DeviceMapperStatus dm = new DeviceMapperProbe(runner).probe();
    assumeTrue(dm.available(), () -> "SKIPPED: no device-mapper snapshots here: " + dm.detail());
    layout = new Layout(tmp.resolve("state"), tmp.resolve("run"));
    image = layout.imageDir("base").resolve("rootfs.ext4");
    Files.createDirectories(image.getParent());
    Ext4Images.make(runner, image, 32 * MIB);
    provisioner = new DmSnapshotProvisioner(runner, Clock.system(), FileSync.system());
  }

  private Path vmDir(String id) throws Exception {
    return Files.createDirectories(layout.vmDir(id));
  }

  @Test
  void snapshotTakesWritesInTheCowAndLeavesTheImageAlone() throws Exception {
    String id = Names.newId();
    byte[] imageBefore = Files.readAllBytes(image);
    RootDisk disk = provisioner.create(id, image, vmDir(id), OptionalLong.empty());
    try {
      assertThat(disk.path()).exists();
      assertThat(Ext4Images.filesystemBytes(runner, disk.path().toString())).isEqualTo(32 * MIB);
      // Write through the snapshot: the image must not change.
      runner.check(
          Command.of(
              "dd",
              "if=/dev/urandom",
              "of=" + disk.path(),
              "bs=4096",
              "count=16",
              "seek=1024",
              "conv=fsync",
              "status=none"));
      assertThat(Files.readAllBytes(image)).isEqualTo(imageBefore);
      assertThat(provisioner.list(layout).dmDevices()).contains("hearth-" + id);
    } finally {
      provisioner.remove(disk);
    }
    DiskInventory after = provisioner.list(layout);
    assertThat(after.dmDevices()).doesNotContain("hearth-" + id);
    assertThat(after.loops()).isEmpty();
    assertThat(disk.file()).doesNotExist();
  }

  @Test
  void grownSnapshotHasAFilesystemOfTheRequestedSize() throws Exception {
    String id = Names.newId();
    RootDisk disk = provisioner.create(id, image, vmDir(id), OptionalLong.of(64 * MIB));
    try {
      assertThat(disk.dmDevices()).containsExactly("hearth-" + id, "hearth-" + id + "-base");
      String size =
          runner.check(Command.of("blockdev", "--getsize64", disk.path().toString())).stdout();
      assertThat(Long.parseLong(size.strip())).isEqualTo(64 * MIB);
      assertThat(Ext4Images.filesystemBytes(runner, disk.path().toString())).isEqualTo(64 * MIB);
      assertThat(runner.run(Command.of("e2fsck", "-fn", disk.path().toString())).exitCode())
          .isZero();
    } finally {
      provisioner.remove(disk);
    }
    assertThat(provisioner.list(layout).dmDevices())
        .doesNotContainAnyElementsOf(List.of("hearth-" + id, "hearth-" + id + "-base"));
    assertThat(provisioner.list(layout).loops()).isEmpty();
  }

  @Test
  void removeLeakedCleansUpADiskNobodyKnows() throws Exception {
    String id = Names.newId();
    provisioner.create(id, image, vmDir(id), OptionalLong.empty());

    DiskInventory removed = provisioner.removeLeaked(layout, List.of());

    assertThat(removed.dmDevices()).contains("hearth-" + id);
    assertThat(removed.loops()).hasSize(2);
    assertThat(provisioner.list(layout).dmDevices()).isEmpty();
    assertThat(provisioner.list(layout).loops()).isEmpty();
    // The COW file, with the VM's data, stays for reconcile to quarantine.
    assertThat(provisioner.strayDiskFiles(layout, List.of()))
        .containsExactly(vmDir(id).resolve("rootfs.cow"));
  }
}

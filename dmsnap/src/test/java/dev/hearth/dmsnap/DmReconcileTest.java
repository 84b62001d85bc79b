package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Layout;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RecordingFileSync;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DmReconcileTest {
  @TempDir Path tmp;
  private Layout layout;
  private Path image;
  private Path keptCow;
  private Path leakedCow;
  private final FakeRunner runner = new FakeRunner();
  private DmSnapshotProvisioner provisioner;

  @BeforeEach
  void setUp() throws Exception {
    layout = new Layout(tmp.resolve("state"), tmp.resolve("run"));
    image = layout.imageDir("base").resolve("rootfs.ext4");
    Files.createDirectories(image.getParent());
    Files.createFile(image);
    keptCow = Files.createDirectories(layout.vmDir("aaaa")).resolve("rootfs.cow");
    leakedCow = Files.createDirectories(layout.vmDir("bbbb")).resolve("rootfs.cow");
    Files.createFile(keptCow);
    Files.createFile(leakedCow);
    Files.createDirectories(layout.vmDir("cccc")); // a VM folder with no disk in it
    runner.on(
        List.of("dmsetup", "ls"),
        0,
        "hearth-aaaa\t(253:0)\nhearth-bbbb-base\t(253:1)\nhearth-bbbb\t(253:2)\nother\t(253:3)\n",
        "");
    runner.on(
        List.of("losetup", "--json", "--list"),
        0,
        loops(
            "/dev/loop0",
            image,
            "/dev/loop1",
            keptCow,
            "/dev/loop2",
            image,
            "/dev/loop3",
            leakedCow,
            "/dev/loop9",
            Path.of("/srv/not-ours.img")),
        "");
    provisioner =
        new DmSnapshotProvisioner(
            runner, new FakeClock(), new RecordingFileSync(), 2, Duration.ofMillis(10));
  }

  private static String loops(Object... nameAndFile) {
    StringBuilder sb = new StringBuilder("{\"loopdevices\": [");
    for (int i = 0; i < nameAndFile.length; i += 2) {
      sb.append(i == 0 ? "" : ",")
          .append("{\"name\": \"")
          .append(nameAndFile[i])
          .append("\", \"ro\": false, \"back-file\": \"")
          .append(nameAndFile[i + 1])
          .append("\"}");
    }
    return sb.append("]}").toString();
  }

  private RootDisk keptDisk() {
    return new RootDisk(
        "aaaa",
        ProvisionerKind.DM_SNAPSHOT,
        Path.of("/dev/mapper/hearth-aaaa"),
        4096,
        keptCow,
        List.of("hearth-aaaa"),
        List.of(new LoopDevice("/dev/loop0", image), new LoopDevice("/dev/loop1", keptCow)));
  }

  @Test
  void listFindsHearthDevicesLoopsUnderTheStateFolderAndCowFiles() throws Exception {
    DiskInventory inventory = provisioner.list(layout);

    assertThat(runner.argvs())
        .containsExactly(List.of("dmsetup", "ls"), List.of("losetup", "--json", "--list"));
    assertThat(inventory.dmDevices())
        .containsExactly("hearth-aaaa", "hearth-bbbb", "hearth-bbbb-base");
    assertThat(inventory.loops())
        .extracting(LoopDevice::device)
        .containsExactly("/dev/loop0", "/dev/loop1", "/dev/loop2", "/dev/loop3");
    assertThat(inventory.files()).containsExactly(keptCow, leakedCow);
  }

  @Test
  void removeLeakedKeepsWhatLiveDisksUseAndRemovesTheRestInOrder() throws Exception {
    DiskInventory removed = provisioner.removeLeaked(layout, List.of(keptDisk()));

    assertThat(runner.argvs())
        .containsExactly(
            List.of("dmsetup", "ls"),
            List.of("losetup", "--json", "--list"),
            List.of("dmsetup", "remove", "hearth-bbbb"),
            List.of("dmsetup", "remove", "hearth-bbbb-base"),
            List.of("losetup", "--detach", "/dev/loop2"),
            List.of("losetup", "--detach", "/dev/loop3"));
    assertThat(removed.dmDevices()).containsExactly("hearth-bbbb", "hearth-bbbb-base");
    // The COW file holds a VM's data: it is left for reconcile to quarantine, never deleted.
    assertThat(removed.files()).isEmpty();
    assertThat(keptCow).exists();
    assertThat(leakedCow).exists();
    assertThat(provisioner.strayDiskFiles(layout, List.of(keptDisk()))).containsExactly(leakedCow);
  }

  @Test
  void removeLeakedTriesEverythingThenReportsEachFailure() throws Exception {
    runner.on(
        List.of("dmsetup", "remove", "hearth-bbbb"),
        1,
        "",
        "remove ioctl failed: Device or resource busy\n");
    runner.on(List.of("losetup", "--detach", "/dev/loop3"), 1, "", "losetup: failed\n");

    assertThatThrownBy(() -> provisioner.removeLeaked(layout, List.of(keptDisk())))
        .isInstanceOf(DiskRemoveException.class)
        .hasMessageContaining("device hearth-bbbb")
        .hasMessageContaining("loop /dev/loop3")
        .satisfies(e -> assertThat(e.getSuppressed()).hasSize(1));
    assertThat(runner.argvs())
        .contains(
            List.of("dmsetup", "remove", "hearth-bbbb-base"),
            List.of("losetup", "--detach", "/dev/loop2"));
    assertThat(leakedCow).exists();
  }
}

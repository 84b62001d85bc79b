package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.FileSync;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresBinary({"cp", "mkfs.ext4", "resize2fs", "e2fsck", "dumpe2fs", "stat"})
class CopyProvisionerHostTest {
  private static final long MIB = 1 << 20;

  @TempDir Path tmp;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private Path image;
  private Path vmDir;

  @BeforeEach
  void setUp() throws Exception {
    image = tmp.resolve("rootfs.ext4");
    Ext4Images.make(runner, image, 32 * MIB);
    vmDir = Files.createDirectories(tmp.resolve("vm"));
  }

  @Test
  void copyIsSparseAndHoldsTheImagesFilesystem() throws Exception {
    RootDisk disk =
        new CopyProvisioner(runner, FileSync.system())
            .create("01", image, vmDir, OptionalLong.empty());

    assertThat(disk.path()).isEqualTo(vmDir.resolve("rootfs.ext4"));
    assertThat(Files.size(disk.path())).isEqualTo(32 * MIB);
    assertThat(Ext4Images.allocatedBytes(runner, disk.path())).isLessThan(32 * MIB / 2);
    assertThat(Ext4Images.filesystemBytes(runner, disk.path().toString())).isEqualTo(32 * MIB);
    assertThat(Files.mismatch(image, disk.path())).isEqualTo(-1L);
    assertThat(vmDir.resolve("rootfs.ext4.partial")).doesNotExist();
  }

  @Test
  void grownCopyHasAFilesystemOfTheRequestedSizeAndTheImageIsUntouched() throws Exception {
    byte[] imageBefore = Files.readAllBytes(image);

    RootDisk disk =
        new CopyProvisioner(runner, FileSync.system())
            .create("02", image, vmDir, OptionalLong.of(64 * MIB));

    assertThat(disk.sizeBytes()).isEqualTo(64 * MIB);
    assertThat(Files.size(disk.path())).isEqualTo(64 * MIB);
    assertThat(Ext4Images.filesystemBytes(runner, disk.path().toString())).isEqualTo(64 * MIB);
    assertThat(Ext4Images.allocatedBytes(runner, disk.path())).isLessThan(32 * MIB);
    // A read-only check of the grown filesystem finds nothing to fix.
    assertThat(runner.run(Command.of("e2fsck", "-fn", disk.path().toString())).exitCode()).isZero();
    assertThat(Files.readAllBytes(image)).isEqualTo(imageBefore);

    new CopyProvisioner(runner, FileSync.system()).remove(disk);
    assertThat(disk.path()).doesNotExist();
  }

  /**
   * Issue 12: e2fsck and resize2fs ran as root on a filesystem a guest may have written (an image
   * promoted from a VM). As the daemon runs them: as the tool user, on a disk in a root-only
   * folder.
   */
  @Test
  void growingRunsE2fsprogsAsTheToolUserAndGivesTheDiskBack() throws Exception {
    Files.setPosixFilePermissions(
        vmDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    java.util.List<java.util.List<String>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    dev.hearth.core.Runner recording =
        command -> {
          seen.add(command.argv());
          return runner.run(command);
        };

    RootDisk disk =
        new CopyProvisioner(recording, FileSync.system(), new dev.hearth.core.ToolUser(65533))
            .create("03", image, vmDir, OptionalLong.of(64 * MIB));

    assertThat(Ext4Images.filesystemBytes(runner, disk.path().toString())).isEqualTo(64 * MIB);
    assertThat(Files.getAttribute(disk.path(), "unix:uid")).isEqualTo(0);
    java.util.List<java.util.List<String>> tools =
        seen.stream()
            .filter(argv -> argv.contains("e2fsck") || argv.contains("resize2fs"))
            .toList();
    assertThat(tools).hasSize(2);
    assertThat(tools)
        .allSatisfy(
            argv ->
                assertThat(argv)
                    .startsWith("unshare", "--net")
                    .contains("--reuid=65533", "--bounding-set=-all", "/proc/self/fd/3"));
  }
}

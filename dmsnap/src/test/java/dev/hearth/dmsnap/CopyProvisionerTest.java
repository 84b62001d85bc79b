package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Layout;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RecordingFileSync;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CopyProvisionerTest {
  private static final String VM = "0123abcd";
  private static final long MIB = 1 << 20;

  @TempDir Path tmp;
  private Path image;
  private Path vmDir;
  private Path disk;
  private Path partial;
  private final FakeRunner runner = new FakeRunner();
  private final RecordingFileSync sync = new RecordingFileSync();
  private final CopyProvisioner provisioner = new CopyProvisioner(runner, sync);

  @BeforeEach
  void setUp() throws IOException {
    image = tmp.resolve("rootfs.ext4");
    Files.write(image, new byte[(int) (2 * MIB)]);
    vmDir = Files.createDirectories(tmp.resolve("vm"));
    disk = vmDir.resolve("rootfs.ext4");
    partial = vmDir.resolve("rootfs.ext4.partial");
    // The fake cp really copies, so that the rename into place has something to move.
    runner.on(List.of("cp"), CopyProvisionerTest::copy);
  }

  private static CommandResult copy(Command c) {
    List<String> argv = c.argv();
    try {
      Files.copy(Path.of(argv.get(argv.size() - 2)), Path.of(argv.get(argv.size() - 1)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return FakeRunner.result(c, 0, "", "");
  }

  private List<String> cp() {
    return List.of("cp", "--reflink=auto", "--sparse=always", image.toString(), partial.toString());
  }

  @Test
  void copiesWithReflinkOrSparseUnderATemporaryNameThenRenames() throws Exception {
    RootDisk root = provisioner.create(VM, image, vmDir, OptionalLong.empty());

    assertThat(runner.argvs()).containsExactly(cp());
    assertThat(root)
        .isEqualTo(
            new RootDisk(VM, ProvisionerKind.COPY, disk, 2 * MIB, disk, List.of(), List.of()));
    assertThat(disk).hasSize(2 * MIB);
    assertThat(partial).doesNotExist();
  }

  @Test
  void syncsTheFinishedCopyBeforeTheRenameAndTheFolderAfterIt() throws Exception {
    List<String> seenAtFileSync = new ArrayList<>();
    sync.before(
        p -> {
          if (p.equals(partial)) {
            seenAtFileSync.add(Files.exists(disk) ? "renamed already" : "not renamed yet");
          }
        });
    provisioner.create(VM, image, vmDir, OptionalLong.of(5 * MIB));

    assertThat(sync.journal()).containsExactly("fsync file " + partial, "fsync dir " + vmDir);
    assertThat(seenAtFileSync).containsExactly("not renamed yet");
  }

  @Test
  void aFailedSyncFailsTheCreateAndLeavesNoDisk() {
    sync.before(
        p -> {
          throw new IOException("EIO");
        });
    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOf(DiskCreateException.class)
        .hasMessageContaining("sync the finished disk file")
        .hasMessageContaining("EIO");
    assertThat(partial).doesNotExist();
    assertThat(disk).doesNotExist();
  }

  @Test
  void growsTheCopyBeforeRenamingIt() throws Exception {
    RootDisk root = provisioner.create(VM, image, vmDir, OptionalLong.of(5 * MIB));

    assertThat(runner.argvs())
        .containsExactly(
            cp(),
            List.of("e2fsck", "-fy", partial.toString()),
            List.of("resize2fs", partial.toString()));
    assertThat(root.sizeBytes()).isEqualTo(5 * MIB);
    assertThat(disk).hasSize(5 * MIB);
  }

  @Test
  void filesystemCheckExitCodeOneIsFine() throws Exception {
    runner.on(List.of("e2fsck"), 1, "", "");

    provisioner.create(VM, image, vmDir, OptionalLong.of(5 * MIB));

    assertThat(disk).hasSize(5 * MIB);
  }

  @Test
  void failedCopyLeavesNoFile() {
    runner.on(
        List.of("cp"),
        c -> {
          try {
            Files.writeString(partial, "half");
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          return FakeRunner.result(c, 1, "", "cp: error writing: No space left on device\n");
        });

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> {
              assertThat(e.step()).isEqualTo(CreateStep.COPY_IMAGE);
              assertThat(e.commandException().orElseThrow().argv()).isEqualTo(cp());
              assertThat(e.getMessage()).contains("No space left on device");
            });
    assertThat(partial).doesNotExist();
    assertThat(disk).doesNotExist();
  }

  @Test
  void failedFilesystemCheckOrResizeLeavesNoFile() {
    runner.on(
        List.of("e2fsck"), 4, "", "rootfs.ext4: ********** WARNING: Filesystem still has errors\n");

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.of(5 * MIB)))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> assertThat(e.step()).isEqualTo(CreateStep.CHECK_FILESYSTEM));
    assertThat(partial).doesNotExist();
    assertThat(disk).doesNotExist();

    runner.on(List.of("e2fsck"), 0, "", "");
    runner.on(List.of("resize2fs"), 1, "", "resize2fs: Permission denied\n");
    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.of(5 * MIB)))
        .isInstanceOfSatisfying(
            DiskCreateException.class,
            e -> assertThat(e.step()).isEqualTo(CreateStep.RESIZE_FILESYSTEM));
    assertThat(partial).doesNotExist();
    assertThat(disk).doesNotExist();
  }

  @Test
  void smallerRequestIsRefusedBeforeCopying() {
    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.of(MIB)))
        .isInstanceOf(DiskSizeException.class)
        .hasMessageContaining("1 MiB, 1048576 bytes")
        .hasMessageContaining("2 MiB, 2097152 bytes");
    assertThat(runner.argvs()).isEmpty();
  }

  @Test
  void existingDiskIsNeitherOverwrittenNorDeleted() throws Exception {
    Files.writeString(disk, "the VM's data");

    assertThatThrownBy(() -> provisioner.create(VM, image, vmDir, OptionalLong.empty()))
        .isInstanceOf(DiskCreateException.class)
        .hasMessageContaining(disk.toString());
    assertThat(disk).hasContent("the VM's data");
    assertThat(runner.argvs()).isEmpty();
  }

  @Test
  void leftoverPartialFromACrashIsReplaced() throws Exception {
    Files.writeString(partial, "half a copy");

    provisioner.create(VM, image, vmDir, OptionalLong.empty());

    assertThat(disk).hasSize(2 * MIB);
    assertThat(partial).doesNotExist();
  }

  @Test
  void removeDeletesTheFileAndRepeatsQuietly() throws Exception {
    RootDisk root = provisioner.create(VM, image, vmDir, OptionalLong.empty());

    provisioner.remove(root);
    provisioner.remove(root);

    assertThat(disk).doesNotExist();
  }

  @Test
  void removeLeakedDeletesOnlyUnfinishedCopiesAndListsStrayDisksForQuarantine() throws Exception {
    Layout layout = new Layout(tmp.resolve("state"), tmp.resolve("run"));
    Path kept = Files.createDirectories(layout.vmDir("aa")).resolve("rootfs.ext4");
    Path leaked = Files.createDirectories(layout.vmDir("bb")).resolve("rootfs.ext4");
    Path leakedPartial = Files.createDirectories(layout.vmDir("cc")).resolve("rootfs.ext4.partial");
    for (Path p : List.of(kept, leaked, leakedPartial)) {
      Files.createFile(p);
    }
    RootDisk live = new RootDisk("aa", ProvisionerKind.COPY, kept, 0, kept, List.of(), List.of());

    assertThat(provisioner.list(layout).files()).containsExactly(kept, leaked, leakedPartial);
    DiskInventory removed = provisioner.removeLeaked(layout, List.of(live));

    assertThat(removed.files()).containsExactly(leakedPartial);
    assertThat(kept).exists();
    assertThat(leaked).exists();
    assertThat(leakedPartial).doesNotExist();
    assertThat(provisioner.strayDiskFiles(layout, List.of(live))).containsExactly(leaked);
    assertThat(runner.argvs()).isEmpty();
  }
}

package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.InvalidNameException;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RecordingFileSync;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStagingTest {
  private static final Instant NOW = Instant.parse("2024-05-01T10:00:00Z");

  @TempDir Path dir;
  private final FakeClock clock = new FakeClock(NOW);
  private final RecordingFileSync sync = new RecordingFileSync();

  private Path stagingDir() {
    return dir.resolve("state/staging");
  }

  private Path images() {
    return dir.resolve("state/images");
  }

  private ImageStaging staging(Runner runner, DirectoryRenamer renamer) {
    return new ImageStaging(stagingDir(), images(), runner, clock, sync, renamer, Posix.system());
  }

  private ImageStaging staging() {
    return staging(new FakeRunner(), DirectoryRenamer.ATOMIC);
  }

  /** Stages a kernel and a hand-made ext4 superblock as the rootfs. */
  private StagedImage stageMinimal(ImageStaging staging, String name) throws Exception {
    StagedImage image = staging.begin(name);
    image.copyKernel(TestFiles.write(dir.resolve("vmlinux-src"), TestFiles.x86Elf(true)));
    TestFiles.fakeExt(image.pathOf(ImageFile.ROOTFS), RootfsValidator.INCOMPAT_EXTENTS);
    image.adopt(ImageFile.ROOTFS);
    return image;
  }

  @Test
  void beginMakesAPrivateUniqueFolderUnderStaging() throws Exception {
    ImageStaging staging = staging();

    StagedImage a = staging.begin("base");
    StagedImage b = staging.begin("base");

    assertThat(a.folder().getParent()).isEqualTo(stagingDir());
    assertThat(a.folder().getFileName().toString()).matches("base\\.[0-9a-f]{16}");
    assertThat(a.folder()).isNotEqualTo(b.folder());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(a.folder())))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stagingDir())))
        .isEqualTo("rwx------");
  }

  @Test
  void refusesAnInvalidImageName() {
    assertThatThrownBy(() -> staging().begin("Bad Name"))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("invalid image name 'Bad Name'");
  }

  @Test
  void publishMovesACompleteImageWithItsManifestIntoPlace() throws Exception {
    ImageStaging staging = staging();
    StagedImage image = stageMinimal(staging, "base");
    image.copyInitrd(TestFiles.write(dir.resolve("initrd-src"), new byte[] {0x1f, (byte) 0x8b}));
    image.bootArgs("quiet");
    Path stagingFolder = image.folder();

    ImageManifest manifest = image.publish();

    Path published = images().resolve("base");
    assertThat(stagingFolder).doesNotExist();
    try (Stream<Path> files = Files.list(published)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("vmlinux", "rootfs.ext4", "initrd", "manifest.json");
    }
    assertThat(manifest.name()).isEqualTo("base");
    assertThat(manifest.createdAt()).isEqualTo(NOW);
    assertThat(manifest.bootArgs()).contains("quiet");
    assertThat(manifest.file(ImageFile.ROOTFS).orElseThrow().size()).isEqualTo(2048);
    assertThat(manifest.file(ImageFile.INITRD).orElseThrow().size()).isEqualTo(2);
    assertThat(manifest.totalSize()).isEqualTo(2048 + 2 + Files.size(published.resolve("vmlinux")));
    assertThat(ImageManifest.read(published)).isEqualTo(manifest);
    assertThat(Files.readString(published.resolve("manifest.json")))
        .contains("\"created_at\" : \"2024-05-01T10:00:00Z\"")
        .contains("\"boot_args\" : \"quiet\"");
  }

  @Test
  void publishIsExactlyOneRenameOfTheCompleteFolder() throws Exception {
    List<Path[]> renames = new ArrayList<>();
    List<String> seenAtRename = new ArrayList<>();
    DirectoryRenamer recording =
        (from, to) -> {
          renames.add(new Path[] {from, to});
          // At the rename the image is complete in staging, and nothing is visible yet.
          try (Stream<Path> files = Files.list(from)) {
            files.map(p -> p.getFileName().toString()).sorted().forEach(seenAtRename::add);
          }
          assertThat(to).doesNotExist();
          DirectoryRenamer.ATOMIC.rename(from, to);
        };
    StagedImage image = stageMinimal(staging(new FakeRunner(), recording), "base");
    image.workDir();

    image.publish();

    assertThat(renames).hasSize(1);
    assertThat(renames.get(0)).containsExactly(image.folder(), images().resolve("base"));
    assertThat(seenAtRename).containsExactly("manifest.json", "rootfs.ext4", "vmlinux");
  }

  @Test
  void publishSyncsEveryFileAndTheFolderBeforeTheRenameAndBothFoldersAfterIt() throws Exception {
    List<String> journal = Collections.synchronizedList(new ArrayList<>());
    RecordingFileSync recording = new RecordingFileSync(journal);
    DirectoryRenamer renamer =
        (from, to) -> {
          journal.add("rename " + from + " -> " + to);
          DirectoryRenamer.ATOMIC.rename(from, to);
        };
    ImageStaging staging =
        new ImageStaging(
            stagingDir(), images(), new FakeRunner(), clock, recording, renamer, Posix.system());
    StagedImage image = stageMinimal(staging, "base");
    Path folder = image.folder();

    image.publish();

    Path target = images().resolve("base");
    assertThat(journal)
        .containsExactly(
            "fsync file " + folder.resolve("vmlinux"),
            "fsync file " + folder.resolve("rootfs.ext4"),
            "fsync file " + folder.resolve("manifest.json"),
            "fsync dir " + folder,
            "fsync dir " + dir.resolve("state"),
            "rename " + folder + " -> " + target,
            "fsync dir " + images(),
            "fsync dir " + stagingDir());
  }

  @Test
  void theRealRenamerIsAnAtomicMoveThatRefusesToReplace() throws Exception {
    Path from = Files.createDirectories(dir.resolve("a"));
    Files.writeString(from.resolve("f"), "x");
    Path to = Files.createDirectories(dir.resolve("b"));
    Files.writeString(to.resolve("g"), "y");

    assertThatThrownBy(() -> DirectoryRenamer.ATOMIC.rename(from, to))
        .isInstanceOf(IOException.class);
    assertThat(to.resolve("g")).hasContent("y");
    assertThat(from.resolve("f")).exists();
  }

  @Test
  void aCrashBeforeTheRenameLeavesNoImageAndAStaleFolderThatCleanupRemoves() throws Exception {
    DirectoryRenamer crash =
        (from, to) -> {
          throw new IOException("simulated crash before rename(2)");
        };
    StagedImage image = stageMinimal(staging(new FakeRunner(), crash), "base");

    assertThatThrownBy(image::publish)
        .isInstanceOf(ImageStagingException.class)
        .hasMessageContaining("cannot publish image 'base'");

    assertThat(images().resolve("base")).doesNotExist();
    assertThat(image.folder()).exists();
    // The daemon's next start:
    List<Path> removed = staging().cleanupStale();
    assertThat(removed).containsExactly(image.folder());
    assertThat(stagingDir()).isEmptyDirectory();
    assertThat(images().resolve("base")).doesNotExist();
  }

  @Test
  void publishingOntoAnExistingNameIsAConflictNamingIt() throws Exception {
    ImageStaging staging = staging();
    StagedImage first = stageMinimal(staging, "base");
    StagedImage second = stageMinimal(staging, "base");
    first.publish();

    assertThatThrownBy(second::publish)
        .isInstanceOf(ImageConflictException.class)
        .hasMessage("image 'base' already exists");
    assertThatThrownBy(() -> staging.begin("base")).isInstanceOf(ImageConflictException.class);
    second.abort();
    assertThat(ImageManifest.read(images().resolve("base")).name()).isEqualTo("base");
  }

  @Test
  void aConflictFoundByTheRenameItselfIsReportedAsAConflict() throws Exception {
    DirectoryRenamer raced =
        (from, to) -> {
          Files.createDirectories(to.resolve("someone-else"));
          DirectoryRenamer.ATOMIC.rename(from, to);
        };
    StagedImage image = stageMinimal(staging(new FakeRunner(), raced), "base");

    assertThatThrownBy(image::publish).isInstanceOf(ImageConflictException.class);
  }

  @Test
  void abortLeavesNothing() throws Exception {
    ImageStaging staging = staging();
    StagedImage image = stageMinimal(staging, "base");
    Files.writeString(image.workDir().resolve("tree-file"), "x");

    image.abort();

    assertThat(stagingDir()).isEmptyDirectory();
    assertThat(images().resolve("base")).doesNotExist();
  }

  @Test
  void closeAbortsUnlessPublished() throws Exception {
    ImageStaging staging = staging();
    Path abandoned;
    try (StagedImage image = stageMinimal(staging, "one")) {
      abandoned = image.folder();
    }
    try (StagedImage image = stageMinimal(staging, "two")) {
      image.publish();
    }

    assertThat(abandoned).doesNotExist();
    assertThat(images().resolve("two").resolve("vmlinux")).exists();
    assertThat(stagingDir()).isEmptyDirectory();
  }

  @Test
  void publishNeedsAKernelAndARootfsAndNothingElse() throws Exception {
    StagedImage noRootfs = staging().begin("a");
    noRootfs.copyKernel(TestFiles.write(dir.resolve("k"), TestFiles.x86Elf(false)));
    assertThatThrownBy(noRootfs::publish).hasMessageContaining("has no rootfs.ext4 staged");

    StagedImage stray = stageMinimal(staging(), "b");
    Files.writeString(stray.folder().resolve("notes.txt"), "?");
    assertThatThrownBy(stray::publish)
        .isInstanceOf(ImageStagingException.class)
        .hasMessageContaining("unexpected files")
        .hasMessageContaining("notes.txt");
    assertThat(images().resolve("b")).doesNotExist();
  }

  @Test
  void publishDropsTheWorkFolder() throws Exception {
    StagedImage image = stageMinimal(staging(), "base");
    Files.createDirectories(image.workDir().resolve("tree/etc"));
    Files.writeString(image.workDir().resolve("vmlinuz"), "bz");

    image.publish();

    assertThat(images().resolve("base").resolve(StagedImage.WORK_DIR)).doesNotExist();
  }

  @Test
  void copiesAreValidatedBeforeAnythingIsCopied() throws Exception {
    StagedImage image = staging().begin("base");
    Path bz = TestFiles.write(dir.resolve("vmlinuz"), TestFiles.bzImage(new byte[100]));

    assertThatThrownBy(() -> image.copyKernel(bz)).isInstanceOf(CompressedKernelException.class);
    assertThatThrownBy(() -> image.copyRootfs(dir)).hasMessageContaining("is a folder");
    assertThat(image.folder()).isEmptyDirectory();
  }

  @Test
  void copyRootfsUsesASparseCopy() throws Exception {
    FakeRunner runner = new FakeRunner();
    StagedImage image = staging(runner, DirectoryRenamer.ATOMIC).begin("base");
    Path source = TestFiles.fakeExt(dir.resolve("root.ext4"), RootfsValidator.INCOMPAT_EXTENTS);
    // The fake cp does what the real one would.
    runner.on(
        List.of("cp"),
        c -> {
          try {
            Files.copy(source, image.pathOf(ImageFile.ROOTFS));
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          return FakeRunner.result(c, 0, "", "");
        });

    image.copyRootfs(source);

    assertThat(runner.argvs())
        .containsExactly(
            List.of(
                "cp",
                "--reflink=auto",
                "--sparse=always",
                "--",
                source.toString(),
                image.pathOf(ImageFile.ROOTFS).toString()));
  }

  @Test
  void cleanupOfAnEmptyOrMissingStagingFolderRemovesNothing() {
    assertThat(staging().cleanupStale()).isEmpty();
  }

  @Test
  @RequiresBinary({"mkfs.ext4", "truncate", "sha256sum", "stat"})
  void checksumsAndSizesMatchSha256sumAndTheRootfsCopyKeepsHoles() throws Exception {
    Runner runner = TestFiles.realRunner();
    Path rootfs = TestFiles.mkfs(runner, "mkfs.ext4", dir.resolve("root.ext4"), 64 << 20);
    Path kernel = TestFiles.write(dir.resolve("vmlinux"), TestFiles.x86Elf(true));
    StagedImage image = staging(runner, DirectoryRenamer.ATOMIC).begin("base");
    image.copyKernel(kernel);
    image.copyRootfs(rootfs);

    ImageManifest manifest = image.publish();

    Path published = images().resolve("base");
    for (ImageFile role : List.of(ImageFile.KERNEL, ImageFile.ROOTFS)) {
      Path file = published.resolve(role.fileName());
      String sha256sum =
          runner.check(Command.of("sha256sum", file.toString())).stdout().split(" ")[0];
      ImageManifest.Entry entry = manifest.file(role).orElseThrow();
      assertThat(entry.sha256()).isEqualTo(sha256sum);
      assertThat(entry.size()).isEqualTo(Files.size(file));
    }
    assertThat(manifest.file(ImageFile.ROOTFS).orElseThrow().size()).isEqualTo(64 << 20);
    String[] blocks =
        runner
            .check(
                Command.of("stat", "--format=%b %B", published.resolve("rootfs.ext4").toString()))
            .stdout()
            .strip()
            .split(" ");
    long allocated = Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
    assertThat(allocated).isLessThan(32L << 20);
    assertThat(manifest.file(ImageFile.INITRD)).isEqualTo(Optional.empty());
  }

  @Test
  @RequiresRoot
  @RequiresBinary({"mount", "umount"})
  void cleanupNeverDeletesThroughAMountLeftInsideAStagingFolder() throws Exception {
    Runner runner = TestFiles.realRunner();
    StagedImage image = staging().begin("base");
    Path proc = Files.createDirectories(image.workDir().resolve("tree/proc"));
    Path keep = TestFiles.write(dir.resolve("keep"), new byte[] {1});
    StagedImage other = staging().begin("other");
    runner.check(Command.of("mount", "-t", "tmpfs", "hearth-test", proc.toString()));
    try {
      Files.copy(keep, proc.resolve("host-file"), StandardCopyOption.REPLACE_EXISTING);

      assertThatThrownBy(() -> staging().cleanupStale())
          .isInstanceOf(ImageStagingException.class)
          .hasMessageContaining("other filesystems are mounted inside it")
          .hasMessageContaining(proc.toString());

      assertThat(proc.resolve("host-file")).exists();
      assertThat(other.folder()).doesNotExist();
    } finally {
      runner.check(Command.of("umount", proc.toString()));
    }
    assertThat(staging().cleanupStale()).containsExactly(image.folder());
  }

  @Test
  void deleteRemovesThePublishedFolderAfterCheckingTwice() throws Exception {
    ImageStaging staging = staging();
    stageMinimal(staging, "base").publish();
    AtomicInteger checks = new AtomicInteger();

    staging.delete("base", checks::incrementAndGet);

    assertThat(checks).hasValue(2);
    assertThat(images().resolve("base")).doesNotExist();
    try (Stream<Path> left = Files.list(stagingDir())) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void deleteRenamesTheFolderBackWhenTheSecondCheckRefuses() throws Exception {
    ImageStaging staging = staging();
    stageMinimal(staging, "base").publish();
    AtomicInteger checks = new AtomicInteger();

    assertThatThrownBy(
            () ->
                staging.delete(
                    "base",
                    () -> {
                      if (checks.incrementAndGet() == 2) {
                        throw new IllegalStateException("used meanwhile");
                      }
                    }))
        .hasMessage("used meanwhile");
    assertThat(images().resolve("base").resolve(ImageFile.KERNEL.fileName())).isRegularFile();
    try (Stream<Path> left = Files.list(stagingDir())) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void deleteOfAnUnknownImageIsNotFoundAndChecksNothing() {
    assertThatThrownBy(
            () ->
                staging()
                    .delete(
                        "ghost",
                        () -> {
                          throw new AssertionError("checked");
                        }))
        .isInstanceOf(ImageNotFoundException.class)
        .hasMessageContaining("ghost");
  }
}

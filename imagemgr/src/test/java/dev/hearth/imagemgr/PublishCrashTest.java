package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.FileSync;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.core.testing.RecordingFileSync;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a process (a child JVM) in the middle of an image publish, at the sync of a chosen file,
 * then does what the daemon does at its next start ({@link ImageStaging#cleanupStale}): the images
 * published before are untouched, and the killed publish is either wholly there or wholly absent,
 * never half.
 */
class PublishCrashTest {
  @TempDir Path state;
  private Process child;

  @AfterEach
  void killChild() throws Exception {
    if (child != null) {
      Await.exit(child.destroyForcibly(), Await.DEFAULT, "the publishing child");
    }
  }

  private ImageStaging staging() {
    return new ImageStaging(
        state.resolve("staging"),
        state.resolve("images"),
        new FakeRunner(),
        Clock.system(),
        FileSync.system());
  }

  private ImageCatalog catalog() {
    return new ImageCatalog(state.resolve("images"));
  }

  @Test
  void aCrashBeforeThePublishingRenameLeavesOnlyStagingWhichTheNextStartRemoves() throws Exception {
    ImageManifest kept = publish(staging(), "kept");

    killDuringPublish("fresh", "manifest.json");
    assertThat(state.resolve("images/fresh")).doesNotExist();

    assertThat(staging().cleanupStale()).hasSize(1);
    assertThat(catalog().list()).extracting(ImageCatalog.Image::name).containsExactly("kept");
    assertThat(ImageCatalog.manifest(state.resolve("images/kept"))).contains(kept);
    assertThat(state.resolve("staging")).isEmptyDirectory();
    // The name is free again: the publish can simply be repeated.
    publish(staging(), "fresh");
    assertThat(catalog().list())
        .extracting(ImageCatalog.Image::name)
        .containsExactly("fresh", "kept");
  }

  @Test
  void aCrashAfterThePublishingRenameLeavesTheCompleteImage() throws Exception {
    publish(staging(), "kept");

    // The first sync of the images folder is the one after the rename.
    killDuringPublish("fresh", "images");

    assertThat(staging().cleanupStale()).isEmpty();
    assertThat(catalog().list())
        .extracting(ImageCatalog.Image::name)
        .containsExactly("fresh", "kept");
    ImageManifest fresh = ImageCatalog.manifest(state.resolve("images/fresh")).orElseThrow();
    assertThat(fresh.file(ImageFile.ROOTFS).orElseThrow().size())
        .isEqualTo(Files.size(state.resolve("images/fresh/rootfs.ext4")));
  }

  private void killDuringPublish(String name, String holdAt) throws Exception {
    Path marker = state.resolve("held-at");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    child =
        new ProcessBuilder(
                java.toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                PublishCrashTest.class.getName(),
                state.toString(),
                name,
                holdAt,
                marker.toString())
            .redirectErrorStream(true)
            .redirectOutput(state.resolve("child.log").toFile())
            .start();
    Await.until(
        "the child to reach the sync of " + holdAt,
        () -> {
          if (!child.isAlive()) {
            throw new AssertionError(
                "the child exited with "
                    + child.exitValue()
                    + ": "
                    + Files.readString(state.resolve("child.log")));
          }
          return Files.exists(marker);
        });
    Await.exit(child.destroyForcibly(), Await.DEFAULT, "the SIGKILLed publishing child");
    child = null;
    Files.delete(marker);
  }

  private static ImageManifest publish(ImageStaging staging, String name) throws Exception {
    Path state = staging.imageDir(name).getParent().getParent();
    try (StagedImage image = staging.begin(name)) {
      image.copyKernel(TestFiles.write(state.resolve("vmlinux-src"), TestFiles.x86Elf(true)));
      TestFiles.fakeExt(image.pathOf(ImageFile.ROOTFS), RootfsValidator.INCOMPAT_EXTENTS);
      image.adopt(ImageFile.ROOTFS);
      return image.publish();
    }
  }

  /** The child: publishes {@code <name>} and is held at the sync of {@code <holdAt>}. */
  public static void main(String[] args) throws Exception {
    Path state = Path.of(args[0]);
    RecordingFileSync sync =
        new RecordingFileSync()
            .before(RecordingFileSync.holdAt(args[2], Path.of(args[3]), Duration.ofSeconds(120)));
    ImageStaging staging =
        new ImageStaging(
            state.resolve("staging"),
            state.resolve("images"),
            new FakeRunner(),
            Clock.system(),
            sync);
    publish(staging, args[1]);
    System.exit(3);
  }
}

package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refusal to cross a mount point is tested with a real mount in imagemgr's ImageStagingTest.
 */
class TreeDeleterTest {
  @TempDir Path dir;

  @Test
  void deletesATreeAndRemovesLinksWithoutFollowingThem() throws Exception {
    Path outside = Files.writeString(dir.resolve("outside"), "kept");
    Path outsideFolder = Files.createDirectory(dir.resolve("outside-folder"));
    Files.writeString(outsideFolder.resolve("file"), "kept");
    Path root = Files.createDirectories(dir.resolve("root/a/b"));
    Files.writeString(root.resolve("file"), "x");
    Files.createSymbolicLink(root.resolve("to-file"), outside);
    Files.createSymbolicLink(root.resolve("to-folder"), outsideFolder);

    TreeDeleter.delete(dir.resolve("root"));

    assertThat(dir.resolve("root")).doesNotExist();
    assertThat(outside).hasContent("kept");
    assertThat(outsideFolder.resolve("file")).hasContent("kept");
  }

  @Test
  void aMissingTreeIsNothingToDo() throws Exception {
    TreeDeleter.delete(dir.resolve("absent"));
    assertThat(dir.resolve("absent")).doesNotExist();
  }

  @Test
  void aDanglingLinkAsTheRootIsRemoved() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("nowhere"));
    TreeDeleter.delete(link);
    assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).isFalse();
  }
}

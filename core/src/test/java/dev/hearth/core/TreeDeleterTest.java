package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
  void filesThatAnotherProcessRemovesMeanwhileAreNoError() throws Exception {
    // As a VM's console writer removes its own marker while the VM's folder is deleted.
    Path root = Files.createDirectories(dir.resolve("root/sub"));
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      files.add(Files.writeString(root.resolve(i % 2 == 0 ? "f" + i : "../g" + i), "x"));
    }
    Collections.reverse(files);
    Thread remover =
        new Thread(
            () -> {
              for (Path file : files) {
                try {
                  Files.deleteIfExists(file);
                } catch (IOException e) {
                  // the tree's own delete got there first
                }
              }
            },
            "remover");
    remover.start();
    try {
      TreeDeleter.delete(dir.resolve("root"));
    } finally {
      remover.join(Duration.ofSeconds(30).toMillis());
    }

    assertThat(remover.isAlive()).as("the remover thread ended within 30 s").isFalse();
    assertThat(dir.resolve("root")).doesNotExist();
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

package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.RecordingFileSync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSyncTest {
  @TempDir Path dir;

  @Test
  void theRealSyncSyncsFilesAndFolders() throws IOException {
    Path file = Files.writeString(dir.resolve("f"), "data");
    FileSync.system().file(file);
    FileSync.system().directory(dir);
    assertThatThrownBy(() -> FileSync.system().file(dir.resolve("missing")))
        .isInstanceOf(IOException.class);
  }

  @Test
  void createDirectoriesSyncsTheParentOfEachFolderItCreated() throws IOException {
    Files.createDirectories(dir.resolve("a"));
    RecordingFileSync sync = new RecordingFileSync();
    sync.createDirectories(dir.resolve("a/b/c"));
    assertThat(dir.resolve("a/b/c")).isDirectory();
    assertThat(sync.journal())
        .containsExactly("fsync dir " + dir.resolve("a"), "fsync dir " + dir.resolve("a/b"));
  }

  @Test
  void createDirectoriesOfAnExistingFolderSyncsNothing() throws IOException {
    RecordingFileSync sync = new RecordingFileSync();
    sync.createDirectories(dir);
    assertThat(sync.journal()).isEmpty();
  }
}

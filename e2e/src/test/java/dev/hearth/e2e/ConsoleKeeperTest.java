package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console keeper on plain files (a unit test: not tagged e2e). */
class ConsoleKeeperTest {
  @TempDir Path dir;

  @Test
  void keepsWhatALogHeldAfterItsFolderIsDeleted() throws Exception {
    Path vms = dir.resolve("vms");
    Path log = vms.resolve("abc/console.log");
    Files.createDirectories(log.getParent());
    Files.writeString(log, "booting\n");
    try (ConsoleKeeper keeper = new ConsoleKeeper(vms, dir.resolve("kept"))) {
      keeper.drain();
      Files.writeString(log, "wait-ssh timed out\n", StandardOpenOption.APPEND);
      Files.delete(log);
      Files.delete(log.getParent());

      assertThat(keeper.copies()).containsOnlyKeys("console-abc.log");
      assertThat(keeper.copies().get("console-abc.log"))
          .hasContent("booting\nwait-ssh timed out\n");
    }
  }

  @Test
  void followsARotatedLogAndItsSuccessor() throws Exception {
    Path vms = dir.resolve("vms");
    Path log = vms.resolve("abc/console.log");
    Files.createDirectories(log.getParent());
    Files.writeString(log, "first boot\n");
    try (ConsoleKeeper keeper = new ConsoleKeeper(vms, dir.resolve("kept"))) {
      keeper.drain();
      Files.move(log, log.resolveSibling("console.log.1"));
      Files.writeString(log, "second boot\n");
      keeper.drain();

      assertThat(keeper.copies().get("console-abc.log")).hasContent("first boot\nsecond boot\n");
    }
  }

  @Test
  void noConsoleLogsNoCopies() throws Exception {
    try (ConsoleKeeper keeper = new ConsoleKeeper(dir.resolve("vms"), dir.resolve("kept"))) {
      assertThat(keeper.copies()).isEmpty();
    }
  }
}

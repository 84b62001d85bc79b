package dev.hearth.dmsnap;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.time.Duration;

/** Grows an ext4 filesystem to fill the file or device it is on, which must not be mounted. */
final class FilesystemGrower {
  /** A large filesystem takes a while to check; far longer than a command's default timeout. */
  static final Duration TIMEOUT = Duration.ofMinutes(30);

  private final Runner runner;

  FilesystemGrower(Runner runner) {
    this.runner = runner;
  }

  /**
   * Checks the filesystem ({@code resize2fs} refuses an unchecked one): exit code 0 is clean, 1
   * means e2fsck fixed something, anything else is a failure.
   */
  void check(String target) throws InterruptedException {
    CommandResult result =
        runner.run(Command.builder("e2fsck").args("-fy", target).timeout(TIMEOUT).build());
    if (result.exitCode() != 0 && result.exitCode() != 1) {
      result.orThrow();
    }
  }

  void resize(String target) throws InterruptedException {
    runner.check(Command.builder("resize2fs").args(target).timeout(TIMEOUT).build());
  }
}

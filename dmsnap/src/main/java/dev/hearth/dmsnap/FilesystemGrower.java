package dev.hearth.dmsnap;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import dev.hearth.core.ToolUser;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Grows an ext4 filesystem to fill the file or device it is on, which must not be mounted. The
 * filesystem may be one a guest wrote (a promoted image's): e2fsck and resize2fs run as the {@link
 * ToolUser}, on the target made its own for the operation only.
 */
final class FilesystemGrower {
  /** A large filesystem takes a while to check; far longer than a command's default timeout. */
  static final Duration TIMEOUT = Duration.ofMinutes(30);

  private final Runner runner;
  private final ToolUser tools;

  FilesystemGrower(Runner runner, ToolUser tools) {
    this.runner = runner;
    this.tools = tools;
  }

  /**
   * Checks the filesystem ({@code resize2fs} refuses an unchecked one): exit code 0 is clean, 1
   * means e2fsck fixed something, anything else is a failure.
   */
  void check(String target) throws InterruptedException {
    Path file = Path.of(target);
    CommandResult result =
        confined(
            file,
            Command.builder("e2fsck").args("-fy", tools.deviceName(file)).timeout(TIMEOUT).build());
    if (result.exitCode() != 0 && result.exitCode() != 1) {
      result.orThrow();
    }
  }

  void resize(String target) throws InterruptedException {
    Path file = Path.of(target);
    confined(
            file,
            Command.builder("resize2fs").args(tools.deviceName(file)).timeout(TIMEOUT).build())
        .orThrow();
  }

  private CommandResult confined(Path target, Command command) throws InterruptedException {
    try (ToolUser.Grant grant = tools.grant(List.of(target))) {
      return runner.run(tools.confine(command, target));
    } catch (IOException e) {
      throw new DmsnapException(
          "cannot hand "
              + target
              + " to uid "
              + tools.uid()
              + " for "
              + command.argv().get(0)
              + ": "
              + e,
          e);
    }
  }
}

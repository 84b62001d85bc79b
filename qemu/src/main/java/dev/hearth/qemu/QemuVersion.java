package dev.hearth.qemu;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.FcprocException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The version of a {@code qemu-system-x86_64}, for the launcher's {@code --version}. */
final class QemuVersion {
  private static final Pattern QEMU_VERSION = Pattern.compile("QEMU emulator version (\\S+)");

  private QemuVersion() {}

  /**
   * QEMU's version as {@code qemu-system-x86_64 --version} prints it ("7.2.22").
   *
   * @throws FcprocException naming the binary and what went wrong
   */
  static String read(Runner runner, Path qemuBinary) throws InterruptedException {
    CommandResult result;
    try {
      result =
          runner.run(
              Command.builder(qemuBinary.toString())
                  .args("--version")
                  .timeout(Duration.ofSeconds(10))
                  .build());
    } catch (CommandException e) {
      throw new FcprocException("cannot run " + qemuBinary + ": " + e.getMessage(), e);
    }
    Matcher m = QEMU_VERSION.matcher(result.stdout());
    if (!result.ok() || !m.find()) {
      throw new FcprocException(
          "`"
              + qemuBinary
              + " --version` exited with code "
              + result.exitCode()
              + " and printed no QEMU version: '"
              + (result.stdout() + result.stderr()).strip()
              + "'");
    }
    return m.group(1);
  }
}

package dev.hearth.dmsnap;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.HostProbe;
import dev.hearth.core.Runner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@link ReflinkProbe#cp}: {@code cp --reflink=always} on a temporary file in the folder. */
final class CpReflinkProbe implements ReflinkProbe {
  private static final Duration CP_TIMEOUT = Duration.ofSeconds(10);

  private final Runner runner;
  private final HostProbe probe;

  CpReflinkProbe(Runner runner, HostProbe probe) {
    this.runner = runner;
    this.probe = probe;
  }

  @Override
  public Reflink tryReflink(Path dir) throws IOException, InterruptedException {
    Optional<Path> cp = probe.findExecutable("cp");
    if (cp.isEmpty()) {
      return new Reflink(false, "cp not found, so reflink support could not be tested");
    }
    Path source = Files.createTempFile(dir, ".hearth-doctor-", ".src");
    Path copy = source.resolveSibling(source.getFileName() + ".copy");
    try {
      Files.writeString(source, "hearth doctor reflink probe\n");
      CommandResult result =
          runner.run(
              Command.builder(cp.get().toString())
                  .args("--reflink=always", source.toString(), copy.toString())
                  .timeout(CP_TIMEOUT)
                  .build());
      if (result.ok()) {
        return new Reflink(true, "cp --reflink=always works in " + dir);
      }
      return new Reflink(false, "cp --reflink=always failed in " + dir + ": " + reason(result));
    } finally {
      Files.deleteIfExists(copy);
      Files.deleteIfExists(source);
    }
  }

  /** The end of cp's last stderr line: "Operation not supported" rather than two file names. */
  private static String reason(CommandResult result) {
    String stderr = result.stderr().strip();
    if (stderr.isEmpty()) {
      return "exit code " + result.exitCode();
    }
    String last = stderr.substring(stderr.lastIndexOf('\n') + 1);
    return last.substring(last.lastIndexOf(": ") + 1).strip();
  }
}

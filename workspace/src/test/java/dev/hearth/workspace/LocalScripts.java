package dev.hearth.workspace;

import dev.hearth.session.ExecRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Stands in for a guest: runs a workspace script's command line through {@code /bin/sh -c}, as the
 * guest's sshd does with the exec request's command line.
 */
final class LocalScripts {
  private LocalScripts() {}

  static Git.Result run(Path cwd, ExecRequest request, byte[] stdin)
      throws IOException, InterruptedException {
    return Git.run(cwd, List.of("/bin/sh", "-c", request.commandLine("test-exec")), stdin);
  }
}

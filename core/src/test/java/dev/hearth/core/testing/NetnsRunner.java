package dev.hearth.core.testing;

import dev.hearth.core.Command;
import dev.hearth.core.Runner;
import java.util.Map;

/** For host tests that run hearth's host commands inside a network namespace they made. */
public final class NetnsRunner {
  private NetnsRunner() {}

  /**
   * A runner that runs every command through {@code ip netns exec NAMESPACE}, keeping its input,
   * folder, environment and timeout.
   */
  public static Runner in(String namespace, Runner runner) {
    return command -> {
      Command.Builder wrapped =
          Command.builder("ip").args("netns", "exec", namespace).args(command.argv());
      command.stdin().ifPresent(wrapped::stdin);
      command.cwd().ifPresent(wrapped::cwd);
      for (Map.Entry<String, String> e : command.env().entrySet()) {
        wrapped.env(e.getKey(), e.getValue());
      }
      return runner.run(wrapped.timeout(command.timeout()).build());
    };
  }
}

package dev.hearth.fcproc.net;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.util.List;
import java.util.regex.Pattern;

/** What the host networking classes share: running ip/nft/iptables and reading their answers. */
final class HostNetworkCommands {
  // Linux interface names: at most 15 bytes (IFNAMSIZ - 1); we also keep to a shell-safe set.
  static final int MAX_INTERFACE_NAME = 15;
  private static final Pattern INTERFACE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Runner runner;

  HostNetworkCommands(Runner runner) {
    this.runner = runner;
  }

  static String checkInterfaceName(String name, String what) {
    if (name.length() > MAX_INTERFACE_NAME || !INTERFACE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what
              + " name must be 1 to "
              + MAX_INTERFACE_NAME
              + " letters, digits, '_', '.' or '-' (not starting with a symbol): '"
              + name
              + "'");
    }
    return name;
  }

  /** Runs the command and returns its result whatever the exit code. */
  CommandResult run(String doing, Command command) throws InterruptedException {
    try {
      return runner.run(command);
    } catch (CommandException e) {
      throw new HostNetworkException(doing + ": " + e.getMessage(), e);
    }
  }

  CommandResult run(String doing, String... argv) throws InterruptedException {
    return run(doing, Command.of(List.of(argv)));
  }

  /**
   * Runs the command and throws a {@link HostNetworkException} saying what failed unless it exits
   * 0.
   */
  CommandResult check(String doing, Command command) throws InterruptedException {
    return orThrow(doing, run(doing, command));
  }

  /**
   * Returns the result when it exited 0, else throws a {@link HostNetworkException} saying what
   * failed.
   */
  static CommandResult orThrow(String doing, CommandResult result) {
    try {
      return result.orThrow();
    } catch (CommandException e) {
      throw new HostNetworkException(doing + ": " + e.getMessage(), e);
    }
  }

  CommandResult check(String doing, String... argv) throws InterruptedException {
    return check(doing, Command.of(List.of(argv)));
  }

  /**
   * Deletes a device made by a step that then failed. A failure to delete is recorded on the
   * original failure rather than hiding it; an interrupt is kept for the caller.
   */
  void deleteAfterFailure(String device, Throwable failure) {
    boolean interrupted = Thread.interrupted();
    try {
      CommandResult result =
          run("could not remove " + device + " after a failure", "ip", "link", "del", device);
      if (!result.ok() && !missingDevice(result)) {
        orThrow("could not remove " + device + " after a failure", result);
      }
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    } catch (InterruptedException e) {
      failure.addSuppressed(e);
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether a failed ip command failed because the device it named does not exist. */
  static boolean missingDevice(CommandResult result) {
    String err = result.stderr();
    return !result.ok() && (err.contains("does not exist") || err.contains("Cannot find device"));
  }

  /** Parses a command's JSON output; an unparseable answer is a host error naming the command. */
  static JsonNode json(CommandResult result) {
    String out = result.stdout();
    try {
      JsonNode node = JSON.readTree(out.isBlank() ? "[]" : out);
      return node == null ? JSON.createArrayNode() : node;
    } catch (JsonProcessingException e) {
      throw new HostNetworkException(
          "`"
              + Command.display(result.argv())
              + "` printed output that is not JSON: "
              + e.getOriginalMessage(),
          e);
    }
  }
}

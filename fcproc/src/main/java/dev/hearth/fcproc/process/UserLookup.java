package dev.hearth.fcproc.process;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.FcprocException;
import java.time.Duration;
import java.util.Optional;

/** Finds a host user by name: the seam between hearth and the host's user database. */
@FunctionalInterface
public interface UserLookup {

  /**
   * The user named {@code name}, or empty when there is none.
   *
   * @throws FcprocException when the user database cannot be asked
   */
  Optional<VmUser> find(String name) throws InterruptedException;

  /**
   * Through {@code getent passwd NAME} (so users from NSS sources other than /etc/passwd count
   * too): exit 2 means no such user.
   */
  static UserLookup getent(Runner runner) {
    return name -> {
      CommandResult result =
          runner.run(
              Command.builder("getent")
                  .args("passwd", "--", name)
                  .timeout(Duration.ofSeconds(10))
                  .build());
      if (result.exitCode() == 2) {
        return Optional.empty();
      }
      String[] fields = result.orThrow().stdout().strip().split(":", -1);
      if (fields.length < 4) {
        throw new FcprocException(
            "getent passwd " + name + " printed no passwd line: '" + result.stdout().strip() + "'");
      }
      try {
        return Optional.of(
            new VmUser(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
      } catch (IllegalArgumentException e) {
        throw new FcprocException(
            "getent passwd "
                + name
                + " printed a bad uid or gid: '"
                + result.stdout().strip()
                + "'",
            e);
      }
    };
  }
}

package dev.hearth.cli;

import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.Pty;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code hearth vm ssh VM}: the guest's login shell on a terminal, through the daemon (the user
 * needs no key). Our terminal is in raw mode meanwhile and always restored; window size changes are
 * forwarded; the exit code is the shell's.
 */
@Command(
    name = "ssh",
    description = {
      "Open an interactive shell in a running VM, through the daemon.",
      "Exits with the shell's exit code; the terminal is restored on the way out."
    })
final class VmSshCommand implements Callable<Integer> {
  @ParentCommand VmCommand vm;

  @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String target;

  @Override
  public Integer call() throws InterruptedException {
    HearthCommand hearth = vm.hearth;
    Terminal terminal = hearth.env().terminal();
    Pty pty = VmExecCommand.pty(hearth, terminal);
    boolean interactive = terminal.stdinIsTerminal();
    StreamRelay.Options options = new StreamRelay.Options(true, interactive, interactive);
    try (Hearth api = hearth.hearth()) {
      return StreamRelay.run(out -> api.vms().shell(target, pty, out), terminal, options);
    }
  }
}

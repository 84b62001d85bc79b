package dev.hearth.cli;

import dev.hearth.daemon.Hearth;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth vm logs}: the VM's serial console, written out as it arrives: its bytes as they are
 * when stdout is not a terminal (or with --raw), else without escape sequences and control
 * characters ({@link GuestLogOutput}). Following ends when the VM stops, or cleanly on Ctrl-C.
 */
@Command(
    name = "logs",
    description = {
      "Print a VM's console output.",
      "On a terminal, escape sequences and control characters are left out (--raw keeps them)."
    })
final class VmLogsCommand implements Callable<Integer> {
  @ParentCommand VmCommand vm;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String target;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing output as it comes, until the VM stops or Ctrl-C.")
  boolean follow;

  @Option(names = "--tail", paramLabel = "N", description = "Only the last N lines.")
  Integer tail;

  @Option(
      names = "--raw",
      description =
          "Write the guest's bytes as they are, escape sequences included, even to a terminal.")
  boolean raw;

  @Override
  public Integer call() throws InterruptedException {
    OptionalLong lines = OptionalLong.empty();
    if (tail != null) {
      if (tail < 0) {
        throw new ParameterException(spec.commandLine(), "--tail must be 0 or more, not " + tail);
      }
      lines = OptionalLong.of(tail);
    }
    HearthCommand hearth = vm.hearth;
    GuestLogOutput console = GuestLogOutput.of(hearth.env().terminal(), raw);
    Interrupts interrupts = hearth.env().interrupts();
    try (Hearth api = hearth.hearth();
        Interrupts.Registration flushOnInterrupt = interrupts.onInterrupt(console::flush)) {
      if (follow) {
        api.vms().followLogs(target, lines, console::write);
      } else {
        console.write(api.vms().logs(target, lines));
      }
      console.finish();
    }
    return 0;
  }
}

package dev.hearth.cli;

import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.Op;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hearth op ...}: the daemon's long-running operations (vm create, image build). */
@Command(name = "op", description = "List, watch and cancel long-running operations.")
final class OpCommand implements Callable<Integer> {
  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  /** Without a verb: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE;
  }

  @Command(name = "list", aliases = "ls", description = "List the operations, running and recent.")
  static final class ListOps implements Callable<Integer> {
    @ParentCommand OpCommand op;

    @Override
    public Integer call() throws InterruptedException {
      return op.hearth.query(h -> HearthJson.opList(h.ops().list()), "ops", OpView::table);
    }
  }

  @Command(name = "show", description = "Show one operation: stage, error, recent log lines.")
  static final class Show implements Callable<Integer> {
    @ParentCommand OpCommand op;

    @Parameters(paramLabel = "OP", description = "An operation id or a unique prefix of it.")
    String id;

    @Override
    public Integer call() throws InterruptedException {
      return op.hearth.query(h -> HearthJson.of(h.ops().show(id)), "", OpView::details);
    }
  }

  @Command(
      name = "watch",
      description = "Follow an operation's progress until it ends; exits 1 if it failed.")
  static final class Watch implements Callable<Integer> {
    @ParentCommand OpCommand op;

    @Parameters(paramLabel = "OP", description = "An operation id or a unique prefix of it.")
    String id;

    @Override
    public Integer call() throws InterruptedException {
      HearthCommand hearth = op.hearth;
      Optional<Op> finished;
      try (Hearth api = hearth.hearth()) {
        Op start = api.ops().show(id);
        finished = new OpFollower(hearth).follow(api, start, stagesOf(start));
      }
      if (finished.isEmpty()) {
        return Interrupts.EXIT_CODE;
      }
      if (hearth.json()) {
        hearth.printJson(Json.node(HearthJson.of(finished.get())));
      }
      OpFollower.requireSucceeded(finished.get());
      return 0;
    }

    /** The stages to draw from the start: vm.create's are known; others appear as they come. */
    private static List<String> stagesOf(Op op) {
      return "vm.create".equals(op.kind()) ? ProgressDisplay.VM_CREATE_STAGES : List.of();
    }
  }

  @Command(name = "cancel", description = "Cancel a running operation; its work is undone.")
  static final class Cancel implements Callable<Integer> {
    @ParentCommand OpCommand op;

    @Parameters(paramLabel = "OP", description = "An operation id or a unique prefix of it.")
    String id;

    @Override
    public Integer call() throws InterruptedException {
      return VmCommand.confirm(
          op.hearth,
          h -> h.ops().cancel(id),
          HearthJson::of,
          cancelled ->
              "cancelling "
                  + cancelled.id()
                  + " ("
                  + cancelled.kind()
                  + " "
                  + cancelled.target()
                  + ", "
                  + cancelled.state().wireName()
                  + ")");
    }
  }
}

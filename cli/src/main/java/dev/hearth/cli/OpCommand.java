package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
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

  /** Sends one request about an operation and returns the snapshot it answers. */
  private static JsonNode snapshot(HearthCommand hearth, String method, String op) {
    try (DaemonConnection daemon = hearth.daemon()) {
      return daemon.call(method, Json.object().put("op", op));
    }
  }

  @Command(name = "list", aliases = "ls", description = "List the operations, running and recent.")
  static final class ListOps implements Callable<Integer> {
    @ParentCommand OpCommand op;

    @Override
    public Integer call() {
      return op.hearth.query("op.list", Json.object(), "ops", OpView::table);
    }
  }

  @Command(name = "show", description = "Show one operation: stage, error, recent log lines.")
  static final class Show implements Callable<Integer> {
    @ParentCommand OpCommand op;

    @Parameters(paramLabel = "OP", description = "An operation id or a unique prefix of it.")
    String id;

    @Override
    public Integer call() {
      return op.hearth.query("op.show", Json.object().put("op", id), "", OpView::details);
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
    public Integer call() {
      HearthCommand hearth = op.hearth;
      Optional<JsonNode> finished;
      try (DaemonConnection daemon = hearth.daemon()) {
        JsonNode start = daemon.call("op.show", Json.object().put("op", id));
        finished = new OpFollower(hearth).follow(daemon, start, stagesOf(start));
      }
      if (finished.isEmpty()) {
        return Interrupts.EXIT_CODE;
      }
      if (hearth.json()) {
        hearth.printJson(finished.get());
      }
      OpFollower.requireSucceeded(finished.get());
      return 0;
    }

    /** The stages to draw from the start: vm.create's are known; others appear as they come. */
    private static List<String> stagesOf(JsonNode op) {
      return "vm.create".equals(Json.text(op, "kind"))
          ? ProgressDisplay.VM_CREATE_STAGES
          : List.of();
    }
  }

  @Command(name = "cancel", description = "Cancel a running operation; its work is undone.")
  static final class Cancel implements Callable<Integer> {
    @ParentCommand OpCommand op;

    @Parameters(paramLabel = "OP", description = "An operation id or a unique prefix of it.")
    String id;

    @Override
    public Integer call() {
      HearthCommand hearth = op.hearth;
      JsonNode cancelled = snapshot(hearth, "op.cancel", id);
      if (hearth.json()) {
        hearth.printJson(cancelled);
      } else {
        hearth.say(
            "cancelling "
                + Json.text(cancelled, "id")
                + " ("
                + Json.text(cancelled, "kind")
                + " "
                + Json.text(cancelled, "target")
                + ", "
                + Json.text(cancelled, "state")
                + ")");
      }
      return 0;
    }
  }
}

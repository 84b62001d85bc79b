package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hearth vm ...}: the VM lifecycle. Each verb is one request to the daemon. */
@Command(
    name = "vm",
    description = "Create, list, start, stop and delete microVMs; run commands in them.")
final class VmCommand implements Callable<Integer> {
  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  /** Without a verb: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE;
  }

  /** The params that name one VM. */
  static ObjectNode vmParams(String vm) {
    return Json.object().put("vm", vm);
  }

  /** Sends one request; prints its result (--json) or one line made from it (not --quiet). */
  static int confirm(
      HearthCommand hearth, String method, ObjectNode params, Function<JsonNode, String> line) {
    JsonNode result;
    try (DaemonConnection daemon = hearth.daemon()) {
      result = daemon.call(method, params);
    }
    if (hearth.json()) {
      hearth.printJson(result);
    } else {
      hearth.say(line.apply(result));
    }
    return 0;
  }

  @Command(name = "list", aliases = "ls", description = "List the VMs.")
  static final class ListVms implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Override
    public Integer call() {
      return vm.hearth.query("vm.list", Json.object(), "vms", VmView::table);
    }
  }

  @Command(name = "show", description = "Show one VM in detail.")
  static final class Show implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Override
    public Integer call() {
      return vm.hearth.query("vm.show", vmParams(target), "", VmView::details);
    }
  }

  @Command(name = "start", description = "Boot a stopped VM again; waits until SSH answers.")
  static final class Start implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Override
    public Integer call() {
      return confirm(
          vm.hearth,
          "vm.start",
          vmParams(target),
          started -> Json.text(started, "name") + " is running at " + Json.text(started, "ip"));
    }
  }

  @Command(
      name = "stop",
      description =
          "Stop a VM gracefully (Ctrl-Alt-Del, then poweroff), killing it after the" + " timeout.")
  static final class Stop implements Callable<Integer> {
    @ParentCommand VmCommand vm;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        description = "How long to wait before killing it (default: stop_timeout from config).")
    Integer timeoutSeconds;

    @Override
    public Integer call() {
      ObjectNode params = vmParams(target);
      if (timeoutSeconds != null) {
        if (timeoutSeconds < 0) {
          throw new ParameterException(
              spec.commandLine(), "--timeout must be 0 or more seconds, not " + timeoutSeconds);
        }
        params.put("timeout_seconds", timeoutSeconds);
      }
      return confirm(
          vm.hearth, "vm.stop", params, stopped -> Json.text(stopped, "name") + " stopped");
    }
  }

  @Command(name = "kill", description = "Stop a VM at once (SIGKILL).")
  static final class Kill implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Override
    public Integer call() {
      return confirm(
          vm.hearth, "vm.kill", vmParams(target), killed -> Json.text(killed, "name") + " killed");
    }
  }

  @Command(
      name = "delete",
      aliases = "rm",
      description = "Delete a VM and everything of it: disk, TAP, IP.")
  static final class Delete implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Option(names = "--force", description = "Delete it even while it runs (it is killed).")
    boolean force;

    @Override
    public Integer call() {
      return confirm(
          vm.hearth,
          "vm.delete",
          vmParams(target).put("force", force),
          deleted -> "deleted " + target + " (" + Json.text(deleted, "deleted") + ")");
    }
  }
}

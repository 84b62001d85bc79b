package dev.hearth.cli;

import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.Vm;
import java.time.Duration;
import java.util.Optional;
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

/** {@code hearth vm ...}: the VM lifecycle. Each verb is one request to hearth. */
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

  /**
   * Asks hearth one thing; prints its answer (--json, in the daemon's JSON form) or one line made
   * from it (not --quiet).
   */
  static <T> int confirm(
      HearthCommand hearth,
      HearthRequest<T> request,
      Function<T, String> json,
      Function<T, String> line)
      throws InterruptedException {
    T result;
    try (Hearth api = hearth.hearth()) {
      result = request.apply(api);
    }
    if (hearth.json()) {
      hearth.printJson(Json.node(json.apply(result)));
    } else {
      hearth.say(line.apply(result));
    }
    return 0;
  }

  /** {@link #confirm} for a request that answers the VM. */
  static int confirmVm(HearthCommand hearth, HearthRequest<Vm> request, Function<Vm, String> line)
      throws InterruptedException {
    return confirm(hearth, request, HearthJson::of, line);
  }

  @Command(name = "list", aliases = "ls", description = "List the VMs.")
  static final class ListVms implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Override
    public Integer call() throws InterruptedException {
      return vm.hearth.query(h -> HearthJson.vmList(h.vms().list()), "vms", VmView::table);
    }
  }

  @Command(name = "show", description = "Show one VM in detail.")
  static final class Show implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Override
    public Integer call() throws InterruptedException {
      return vm.hearth.query(h -> HearthJson.of(h.vms().show(target)), "", VmView::details);
    }
  }

  @Command(name = "start", description = "Boot a stopped VM again; waits until SSH answers.")
  static final class Start implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Override
    public Integer call() throws InterruptedException {
      return confirmVm(
          vm.hearth,
          h -> h.vms().start(target),
          started -> started.name() + " is running at " + started.ip());
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
    public Integer call() throws InterruptedException {
      Optional<Duration> timeout = Optional.empty();
      if (timeoutSeconds != null) {
        if (timeoutSeconds < 0) {
          throw new ParameterException(
              spec.commandLine(), "--timeout must be 0 or more seconds, not " + timeoutSeconds);
        }
        timeout = Optional.of(Duration.ofSeconds(timeoutSeconds));
      }
      Optional<Duration> stopTimeout = timeout;
      return confirmVm(
          vm.hearth,
          h -> h.vms().stop(target, stopTimeout),
          stopped -> stopped.name() + " stopped");
    }
  }

  @Command(name = "kill", description = "Stop a VM at once (SIGKILL).")
  static final class Kill implements Callable<Integer> {
    @ParentCommand VmCommand vm;

    @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String target;

    @Override
    public Integer call() throws InterruptedException {
      return confirmVm(vm.hearth, h -> h.vms().kill(target), killed -> killed.name() + " killed");
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
    public Integer call() throws InterruptedException {
      return confirm(
          vm.hearth,
          h -> h.vms().delete(target, force),
          id -> Json.object().put("deleted", id).toString(),
          id -> "deleted " + target + " (" + id + ")");
    }
  }
}

package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Names;
import dev.hearth.core.Sizes;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth vm create}: sends vm.create, then follows the operation through its stages unless
 * --detach, and says how to reach the VM.
 */
@Command(
    name = "create",
    description = "Create a VM from an image and boot it; waits until SSH answers unless --detach.")
final class VmCreateCommand implements Callable<Integer> {
  @ParentCommand VmCommand vm;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "The VM's name: a-z, 0-9 and '-', up to 63.")
  String name;

  @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image.")
  String image;

  @Option(names = "--vcpus", paramLabel = "N", description = "vCPUs (default from config).")
  Integer vcpus;

  @Option(
      names = "--memory",
      paramLabel = "MiB",
      description = "Memory in MiB (default from config).")
  Integer memoryMib;

  @Option(
      names = "--disk-size",
      paramLabel = "SIZE",
      description = "Root disk size, e.g. 10G; grown from the image's size when larger.")
  String diskSize;

  @Option(names = "--no-start", description = "Prepare the VM but leave it stopped.")
  boolean noStart;

  @Option(
      names = {"-d", "--detach"},
      description = "Print the operation id and return at once; `hearth op watch` follows it.")
  boolean detach;

  @Override
  public Integer call() {
    HearthCommand hearth = vm.hearth;
    ObjectNode params = params();
    try (DaemonConnection daemon = hearth.daemon()) {
      JsonNode created = daemon.call("vm.create", params);
      JsonNode op = created.path("op");
      if (detach) {
        if (hearth.json()) {
          hearth.printJson(op);
        } else {
          hearth.out().println(Json.text(op, "id"));
          hearth.out().flush();
        }
        return 0;
      }
      Optional<JsonNode> finished =
          new OpFollower(hearth)
              .follow(
                  daemon,
                  op,
                  noStart
                      ? ProgressDisplay.VM_CREATE_NO_START_STAGES
                      : ProgressDisplay.VM_CREATE_STAGES);
      if (finished.isEmpty()) {
        return Interrupts.EXIT_CODE;
      }
      OpFollower.requireSucceeded(finished.get());
      String vmId = Json.text(created.path("vm"), "id");
      JsonNode shown = daemon.call("vm.show", VmCommand.vmParams(vmId.isEmpty() ? name : vmId));
      if (hearth.json()) {
        hearth.printJson(shown);
      } else if (hearth.quiet()) {
        hearth.out().println(Json.text(shown, "name"));
        hearth.out().flush();
      } else {
        hearth.out().print(summary(shown));
        hearth.out().flush();
      }
      return 0;
    }
  }

  /** The request, after the checks that need no daemon (usage errors, exit 2). */
  private ObjectNode params() {
    if (!Names.isValid(name)) {
      throw usage(
          "invalid VM name '"
              + name
              + "': use 1 to 63 lower-case letters, digits and '-',"
              + " starting with a letter or digit");
    }
    ObjectNode params = Json.object().put("name", name).put("image", image);
    if (vcpus != null) {
      if (vcpus < 1) {
        throw usage("--vcpus must be at least 1, not " + vcpus);
      }
      params.put("vcpus", vcpus);
    }
    if (memoryMib != null) {
      if (memoryMib < 1) {
        throw usage("--memory must be at least 1 MiB, not " + memoryMib);
      }
      params.put("memory_mib", memoryMib);
    }
    if (diskSize != null) {
      try {
        params.put("disk_size", Sizes.parse(diskSize));
      } catch (IllegalArgumentException e) {
        throw usage("--disk-size: " + e.getMessage());
      }
    }
    if (noStart) {
      params.put("no_start", true);
    }
    return params;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** What a person needs next: where the VM is and how to get in, or how to start it. */
  static String summary(JsonNode vm) {
    String name = Json.text(vm, "name");
    String ip = Json.text(vm, "ip");
    if (!"running".equals(Json.text(vm, "state"))) {
      return name
          + " is "
          + Json.text(vm, "state")
          + " (ip "
          + ip
          + "); start it with"
          + " `hearth vm start "
          + name
          + "`\n";
    }
    return name
        + " is running at "
        + ip
        + "\n"
        + "  hearth vm ssh "
        + name
        + "              # a shell in it\n"
        + "  hearth vm exec "
        + name
        + " -- CMD...   # run a command\n"
        + "  hearth vm logs "
        + name
        + " --follow   # its console\n";
  }
}

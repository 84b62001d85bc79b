package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Names;
import dev.hearth.core.Printable;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.VmCreation;
import dev.hearth.daemon.VmSpec;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.WorkspaceImport;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
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
 * {@code hearth vm create}: creates the VM, then follows the operation through its stages unless
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
      names = "--egress",
      paramLabel = "POLICY",
      description =
          "What the VM may reach beyond the bridge: open, none, or allow:NAME[,NAME...] (domains,"
              + " *.domain, IPv4 addresses or CIDRs); default from config (default_egress).")
  String egress;

  @Option(
      names = "--workspace",
      paramLabel = "PATH",
      description =
          "Once the VM is ready, import the git repository at PATH (see `hearth workspace"
              + " import`).")
  Path workspace;

  @Option(
      names = {"-d", "--detach"},
      description = "Print the operation id and return at once; `hearth op watch` follows it.")
  boolean detach;

  @Override
  public Integer call() throws InterruptedException {
    HearthCommand hearth = vm.hearth;
    VmSpec request = spec();
    if (workspace != null && (noStart || detach)) {
      throw usage("--workspace needs a running VM: it cannot go with --no-start or --detach");
    }
    try (Hearth api = hearth.hearth()) {
      VmCreation created = api.vms().create(request);
      if (detach) {
        if (hearth.json()) {
          hearth.printJson(Json.node(HearthJson.of(created.op())));
        } else {
          hearth.out().println(created.op().id());
          hearth.out().flush();
        }
        return 0;
      }
      Optional<Op> finished =
          new OpFollower(hearth)
              .follow(
                  api,
                  created.op(),
                  noStart
                      ? ProgressDisplay.VM_CREATE_NO_START_STAGES
                      : ProgressDisplay.VM_CREATE_STAGES);
      if (finished.isEmpty()) {
        return Interrupts.EXIT_CODE;
      }
      OpFollower.requireSucceeded(finished.get());
      String vmId = created.vm().id();
      Optional<Workspace> imported = Optional.empty();
      if (workspace != null) {
        // The import's stages: git runs here, as this user; the daemon's create op cannot read
        // the repository, so the import is an operation of its own that follows the create.
        hearth.say("import " + Printable.of(workspace.toAbsolutePath().toString()) + ":");
        imported =
            Optional.of(
                ImportProgressDisplay.run(
                    hearth, api, WorkspaceImport.of(name, workspace.toAbsolutePath())));
      }
      JsonNode shown = Json.node(HearthJson.of(api.vms().show(vmId.isEmpty() ? name : vmId)));
      if (imported.isPresent() && shown instanceof ObjectNode o) {
        o.set("workspace", WorkspaceCommand.json(imported.get()));
      }
      if (hearth.json()) {
        hearth.printJson(shown);
      } else if (hearth.quiet()) {
        hearth.out().println(Json.text(shown, "name"));
        hearth.out().flush();
      } else {
        hearth.out().print(summary(shown));
        imported.ifPresent(w -> hearth.out().println("workspace: " + Printable.of(w.guestPath())));
        hearth.out().flush();
      }
      return 0;
    }
  }

  /**
   * The request, after the checks that need no daemon (usage errors, exit 2); the record checks the
   * rest (against the same bounds the daemon has).
   */
  private VmSpec spec() {
    if (!Names.isValid(name)) {
      throw usage(
          "invalid VM name '"
              + name
              + "': use 1 to 63 lower-case letters, digits and '-',"
              + " starting with a letter or digit");
    }
    if (vcpus != null && vcpus < 1) {
      throw usage("--vcpus must be at least 1, not " + vcpus);
    }
    if (memoryMib != null && memoryMib < 1) {
      throw usage("--memory must be at least 1 MiB, not " + memoryMib);
    }
    OptionalLong diskSizeBytes = OptionalLong.empty();
    if (diskSize != null) {
      try {
        diskSizeBytes = OptionalLong.of(Sizes.parse(diskSize));
      } catch (IllegalArgumentException e) {
        throw usage("--disk-size: " + e.getMessage());
      }
    }
    return new VmSpec(
        name,
        image,
        vcpus == null ? OptionalInt.empty() : OptionalInt.of(vcpus),
        memoryMib == null ? OptionalInt.empty() : OptionalInt.of(memoryMib),
        diskSizeBytes,
        noStart,
        Optional.ofNullable(egress));
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

package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.HearthJson;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code hearth vm egress VM [--allow NAME[,NAME...] | --deny-all | --open]}: shows the VM's egress
 * policy with its denials, after changing it live when asked to.
 */
@Command(
    name = "egress",
    description =
        "Show a VM's egress policy and its last denials; --allow, --deny-all or --open change it"
            + " live (the next connection follows it).")
final class VmEgressCommand implements Callable<Integer> {
  @ParentCommand VmCommand vm;

  @Parameters(paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String target;

  @ArgGroup(exclusive = true)
  Change change;

  static final class Change {
    @Option(
        names = "--allow",
        paramLabel = "NAME[,NAME...]",
        description = "Allow only these domains, *.domain wildcards, IPv4 addresses or CIDRs.")
    String allow;

    @Option(names = "--deny-all", description = "Allow nothing beyond the bridge.")
    boolean denyAll;

    @Option(names = "--open", description = "Allow everything.")
    boolean open;

    String policy() {
      return denyAll ? "none" : open ? "open" : "allow:" + allow;
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    return vm.hearth.query(
        h ->
            HearthJson.of(
                change == null
                    ? h.vms().egress(target)
                    : h.vms().setEgress(target, change.policy())),
        "",
        VmEgressCommand::view);
  }

  static Table view(JsonNode egress, Instant now) {
    Details details = new Details();
    details.add("VM", Json.text(egress, "vm"));
    details.add("Policy", Json.text(egress, "policy"));
    details.add("Refused names", Json.text(egress, "refused_names"));
    details.add("Denied packets", Json.text(egress, "denied_packets"));
    for (JsonNode r : egress.path("last_refused")) {
      details.note(
          "refused name "
              + Json.text(r, "name")
              + " at "
              + Details.timestamp(Json.text(r, "at"), now));
    }
    for (JsonNode d : egress.path("last_denied")) {
      details.note(
          "denied "
              + Json.text(d, "address")
              + ":"
              + Json.text(d, "port")
              + " (last "
              + Json.text(d, "seconds_ago")
              + "s ago at most)");
    }
    return details.table();
  }
}

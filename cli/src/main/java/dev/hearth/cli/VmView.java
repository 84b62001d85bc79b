package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Sizes;
import java.time.Instant;

/** VM objects of the RPC contract as tables and lines. */
final class VmView {
  private VmView() {}

  /** NAME STATE IP IMAGE VCPUS MEMORY AGE, one row per VM in the order given. */
  static Table table(JsonNode vms, Instant now) {
    Table table = new Table().header("NAME", "STATE", "IP", "IMAGE", "VCPUS", "MEMORY", "AGE");
    for (JsonNode vm : vms) {
      String state = Json.text(vm, "state");
      table.row(
          plain(Json.text(vm, "name")),
          new Table.Cell(state, stateColour(state)),
          plain(orDash(Json.text(vm, "ip"))),
          plain(Json.text(vm, "image")),
          plain(Json.text(vm, "vcpus")),
          plain(memory(vm)),
          plain(Human.age(Json.text(vm, "created_at"), now)));
    }
    return table;
  }

  /** "Key: value" lines for the fields present, vm.show's extra fields included. */
  static Table details(JsonNode vm, Instant now) {
    Details details = new Details();
    details.add("Name", Json.text(vm, "name"));
    details.add("ID", Json.text(vm, "id"));
    String state = Json.text(vm, "state");
    details.add("State", state, stateColour(state));
    details.add("Error", Json.text(vm, "error"), Style.Colour.RED);
    details.add("IP", Json.text(vm, "ip"));
    details.add("MAC", Json.text(vm, "mac"));
    details.add("TAP", Json.text(vm, "tap"));
    details.add("Image", Json.text(vm, "image"));
    details.add("vCPUs", Json.text(vm, "vcpus"));
    details.add("Memory", memory(vm));
    details.add("Disk", disk(vm));
    details.add("Provisioner", Json.text(vm, "provisioner"));
    details.add("Created", Details.timestamp(Json.text(vm, "created_at"), now));
    details.add("PID", Json.text(vm, "pid"));
    details.add("VMM", Json.text(vm, "vmm"));
    details.add("API socket", Json.text(vm, "api_socket"));
    details.add("Console log", Json.text(vm, "console_log"));
    details.add("Root disk", Json.text(vm, "root_disk"));
    details.add("Boot args", Json.text(vm, "boot_args"));
    details.add("Egress", Json.text(vm, "egress"));
    details.add("VMM uid", Json.text(vm, "vmm_uid"));
    details.add("Cgroup", Json.text(vm, "cgroup"));
    details.add("Limits", Json.text(vm, "limits"));
    return details.table();
  }

  /** Green when running, yellow on the way, red in error, plain when stopped. */
  static Style.Colour stateColour(String state) {
    return switch (state) {
      case "running" -> Style.Colour.GREEN;
      case "creating", "starting", "stopping" -> Style.Colour.YELLOW;
      case "error" -> Style.Colour.RED;
      default -> null;
    };
  }

  private static String memory(JsonNode vm) {
    JsonNode mib = vm.path("memory_mib");
    return mib.canConvertToLong() ? Human.mebibytes(mib.asLong()) : "";
  }

  private static String disk(JsonNode vm) {
    JsonNode bytes = vm.path("disk_size_bytes");
    return bytes.canConvertToLong() ? Sizes.format(bytes.asLong()) : "";
  }

  private static String orDash(String text) {
    return text.isEmpty() ? "-" : text;
  }

  private static Table.Cell plain(String text) {
    return new Table.Cell(text, null);
  }
}

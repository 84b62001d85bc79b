package dev.hearth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.OpError;
import dev.hearth.daemon.OpState;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmDetails;
import dev.hearth.daemon.VmState;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * VM objects and operation snapshots, as JSON in the daemon's form (for the views) and as the typed
 * API's records (for {@link FakeHearth}).
 */
final class Samples {
  static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
  static final String OP_ID = "0123456789abcdef";
  static final String VM_ID = "fedcba9876543210";

  private Samples() {}

  static String vm(String name, String state, String ip, String createdAt) {
    return """
        {"id":"%s","name":"%s","state":"%s","ip":"%s","mac":"06:00:0a:4d:00:02","tap":"htap0",
         "image":"base","vcpus":2,"memory_mib":1024,"disk_size_bytes":2147483648,
         "provisioner":"copy","created_at":"%s"}"""
        .formatted(VM_ID, name, state, ip, createdAt);
  }

  static String demoRunning() {
    return vm("demo", "running", "10.77.0.2", "2024-05-01T11:55:00Z");
  }

  /** A running operation at {@code stage}; percent < 0 for none. */
  static String op(String state, String stage, int percent) {
    ObjectNode op =
        (ObjectNode)
            node(
                """
        {"id":"%s","kind":"vm.create","target":"demo","state":"%s","stage":"%s",
         "log":[],"started_at":"2024-05-01T11:59:50.000Z"}"""
                    .formatted(OP_ID, state, stage));
    if (percent >= 0) {
      op.put("percent", percent);
    }
    if (!state.equals("running")) {
      op.put("finished_at", "2024-05-01T11:59:53.200Z");
    }
    if (state.equals("succeeded")) {
      op.put("result", VM_ID);
    }
    return op.toString();
  }

  static String failedOp(String stage, String message) {
    ObjectNode op = (ObjectNode) node(op("failed", stage, -1));
    op.putObject("error").put("stage", stage).put("message", message);
    return op.toString();
  }

  /** vm.create's answer: the operation just after reserve, and the VM being created. */
  static String created() {
    return "{\"op\":"
        + op("running", "rootfs", -1)
        + ",\"vm\":"
        + vm("demo", "creating", "10.77.0.2", "2024-05-01T11:59:50Z")
        + "}";
  }

  // ---- the same, as the typed API's records ----

  static Vm vmOf(String name, String state, String ip, String createdAt) {
    return new Vm(
        VM_ID,
        name,
        VmState.fromWireName(state),
        ip,
        "06:00:0a:4d:00:02",
        "htap0",
        "base",
        2,
        1024,
        2147483648L,
        "copy",
        Instant.parse(createdAt),
        OptionalLong.empty(),
        Optional.empty(),
        Optional.empty());
  }

  static Vm demoRunningVm() {
    return vmOf("demo", "running", "10.77.0.2", "2024-05-01T11:55:00Z");
  }

  /** {@code vm.show}'s view of a VM. */
  static VmDetails details(Vm vm) {
    return new VmDetails(
        vm,
        Path.of("/run/hearth/vms/" + vm.id() + "/firecracker.sock"),
        Path.of("/var/lib/hearth/vms/" + vm.id() + "/console.log"),
        Optional.of(Path.of("/var/lib/hearth/vms/" + vm.id() + "/rootfs.ext4")),
        "console=ttyS0",
        "allow:github.com");
  }

  /** A running operation at {@code stage}; percent < 0 for none. */
  static Op opOf(String state, String stage, int percent) {
    return opOf(state, stage, percent, Optional.empty());
  }

  static Op failedOpOf(String stage, String message) {
    return opOf("failed", stage, -1, Optional.of(new OpError(stage, message)));
  }

  private static Op opOf(String state, String stage, int percent, Optional<OpError> error) {
    return new Op(
        OP_ID,
        "vm.create",
        "demo",
        OpState.fromWireName(state),
        stage,
        percent < 0 ? OptionalInt.empty() : OptionalInt.of(percent),
        List.of(),
        error,
        Instant.parse("2024-05-01T11:59:50.000Z"),
        state.equals("running")
            ? Optional.empty()
            : Optional.of(Instant.parse("2024-05-01T11:59:53.200Z")),
        state.equals("succeeded") ? Optional.of(VM_ID) : Optional.empty());
  }

  /** The VM {@code vm.create} answers: just after reserve. */
  static Vm creatingVm() {
    return vmOf("demo", "creating", "10.77.0.2", "2024-05-01T11:59:50Z");
  }

  static JsonNode node(String json) {
    try {
      return Json.parse(json);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}

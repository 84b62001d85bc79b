package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.ImageDetails;
import dev.hearth.daemon.ImageRegistration;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.OpError;
import dev.hearth.daemon.OpState;
import dev.hearth.daemon.Pty;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmConfinement;
import dev.hearth.daemon.VmDetails;
import dev.hearth.daemon.VmEgress;
import dev.hearth.daemon.VmSpec;
import dev.hearth.daemon.VmState;
import dev.hearth.opstate.OpSnapshot;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The typed API's records as JSON, both ways, in one place: the daemon's handlers write results and
 * read params with it, and the remote client ({@code RemoteHearth}) writes params and reads results
 * with it, so the two ends cannot drift. The wire format is ARCHITECTURE.md's.
 */
public final class ApiJson {
  private ApiJson() {}

  // ---- VMs ----

  public static ObjectNode vm(Vm vm) {
    ObjectNode o =
        Wire.object()
            .put("id", vm.id())
            .put("name", vm.name())
            .put("state", vm.state().wireName())
            .put("ip", vm.ip())
            .put("mac", vm.mac())
            .put("tap", vm.tap())
            .put("image", vm.image())
            .put("vcpus", vm.vcpus())
            .put("memory_mib", vm.memoryMib())
            .put("disk_size_bytes", vm.diskSizeBytes())
            .put("provisioner", vm.provisioner())
            .put("created_at", vm.createdAt().toString());
    vm.pid().ifPresent(p -> o.put("pid", p));
    vm.vmm().ifPresent(k -> o.put("vmm", k));
    vm.error().ifPresent(e -> o.put("error", e));
    return o;
  }

  public static Vm vm(JsonNode o) {
    return new Vm(
        text(o, "id"),
        text(o, "name"),
        VmState.fromWireName(text(o, "state")),
        text(o, "ip"),
        text(o, "mac"),
        text(o, "tap"),
        text(o, "image"),
        (int) number(o, "vcpus"),
        (int) number(o, "memory_mib"),
        number(o, "disk_size_bytes"),
        text(o, "provisioner"),
        instant(o, "created_at"),
        o.has("pid") ? OptionalLong.of(number(o, "pid")) : OptionalLong.empty(),
        optionalText(o, "vmm"),
        optionalText(o, "error"));
  }

  public static ObjectNode vms(List<Vm> vms) {
    ObjectNode result = Wire.object();
    ArrayNode list = result.putArray("vms");
    vms.forEach(v -> list.add(vm(v)));
    return result;
  }

  public static List<Vm> vms(JsonNode result) {
    List<Vm> vms = new ArrayList<>();
    array(result, "vms").forEach(v -> vms.add(vm(v)));
    return vms;
  }

  public static ObjectNode vmDetails(VmDetails details) {
    ObjectNode o = vm(details.vm());
    o.put("api_socket", details.apiSocket().toString());
    o.put("console_log", details.consoleLog().toString());
    o.put("root_disk", details.rootDisk().map(Path::toString).orElse(""));
    o.put("boot_args", details.bootArgs());
    o.put("egress", details.egress());
    details
        .confinement()
        .ifPresent(
            c -> o.put("vmm_uid", c.uid()).put("cgroup", c.cgroup()).put("limits", c.limits()));
    return o;
  }

  public static VmDetails vmDetails(JsonNode o) {
    String rootDisk = text(o, "root_disk");
    return new VmDetails(
        vm(o),
        Path.of(text(o, "api_socket")),
        Path.of(text(o, "console_log")),
        rootDisk.isEmpty() ? Optional.empty() : Optional.of(Path.of(rootDisk)),
        text(o, "boot_args"),
        text(o, "egress"),
        o.path("vmm_uid").canConvertToInt()
            ? Optional.of(
                new VmConfinement(o.get("vmm_uid").asInt(), text(o, "cgroup"), text(o, "limits")))
            : Optional.empty());
  }

  /** {@code vm.egress}'s result. */
  public static ObjectNode vmEgress(VmEgress egress) {
    ObjectNode o = Wire.object().put("vm", egress.vm()).put("policy", egress.policy());
    o.put("refused_names", egress.refusedNames());
    ArrayNode refused = o.putArray("last_refused");
    for (VmEgress.RefusedName r : egress.lastRefused()) {
      refused.addObject().put("name", r.name()).put("at", r.at().toString());
    }
    o.put("denied_packets", egress.deniedPackets());
    ArrayNode denied = o.putArray("last_denied");
    for (VmEgress.DeniedDestination d : egress.lastDenied()) {
      denied
          .addObject()
          .put("address", d.address())
          .put("port", d.port())
          .put("seconds_ago", d.secondsAgo());
    }
    return o;
  }

  public static VmEgress vmEgress(JsonNode o) {
    List<VmEgress.RefusedName> refused = new ArrayList<>();
    array(o, "last_refused")
        .forEach(r -> refused.add(new VmEgress.RefusedName(text(r, "name"), instant(r, "at"))));
    List<VmEgress.DeniedDestination> denied = new ArrayList<>();
    array(o, "last_denied")
        .forEach(
            d ->
                denied.add(
                    new VmEgress.DeniedDestination(
                        text(d, "address"), (int) number(d, "port"), number(d, "seconds_ago"))));
    return new VmEgress(
        text(o, "vm"),
        text(o, "policy"),
        number(o, "refused_names"),
        refused,
        number(o, "denied_packets"),
        denied);
  }

  /** {@code vm.create}'s params. */
  public static ObjectNode vmSpec(VmSpec spec) {
    ObjectNode o = Wire.object().put("name", spec.name()).put("image", spec.image());
    spec.vcpus().ifPresent(v -> o.put("vcpus", v));
    spec.memoryMib().ifPresent(m -> o.put("memory_mib", m));
    spec.diskSizeBytes().ifPresent(d -> o.put("disk_size", d));
    if (spec.noStart()) {
      o.put("no_start", true);
    }
    spec.egress().ifPresent(e -> o.put("egress", e));
    return o;
  }

  /** {@code vm.create}'s params read: the types here, the values by {@link VmSpec}. */
  public static VmSpec vmSpec(Params params) {
    params.requireOnly(
        Set.of("name", "image", "vcpus", "memory_mib", "disk_size", "no_start", "egress"));
    String name = params.string("name");
    String image = params.string("image");
    return new VmSpec(
        name,
        image,
        optionalInt(params, "vcpus"),
        optionalInt(params, "memory_mib"),
        params.size("disk_size", "10G"),
        params.bool("no_start", false),
        params.optionalString("egress"));
  }

  /** {@code vm.exec}'s params for a spec. */
  public static ObjectNode execSpec(String vm, ExecSpec spec) {
    ObjectNode o = Wire.object().put("vm", vm);
    ArrayNode argv = o.putArray("argv");
    spec.argv().forEach(argv::add);
    if (!spec.env().isEmpty()) {
      ObjectNode env = o.putObject("env");
      spec.env().forEach(env::put);
    }
    spec.cwd().ifPresent(c -> o.put("cwd", c));
    spec.pty()
        .ifPresent(
            pty -> {
              o.put("tty", true);
              putPty(o, pty);
            });
    return o;
  }

  /** A terminal's params of {@code vm.exec} and {@code vm.shell}: cols, rows, term. */
  public static void putPty(ObjectNode params, Pty pty) {
    params.put("cols", pty.cols()).put("rows", pty.rows()).put("term", pty.term());
  }

  /** The bytes of a {@code {"data": base64}} result or notification. */
  public static byte[] data(String method, JsonNode o) {
    JsonNode data = o.get("data");
    if (data == null || !data.isTextual()) {
      throw new HearthException(HearthException.Kind.PROTOCOL, method + " answered without data");
    }
    try {
      return Base64.getDecoder().decode(data.textValue());
    } catch (IllegalArgumentException e) {
      throw new HearthException(
          HearthException.Kind.PROTOCOL, method + " answered data that is not base64", e);
    }
  }

  // ---- images ----

  public static ObjectNode image(Image image) {
    ObjectNode o =
        Wire.object()
            .put("name", image.name())
            .put("kernel", image.kernel().toString())
            .put("rootfs", image.rootfs().toString());
    image.initrd().ifPresent(p -> o.put("initrd", p.toString()));
    o.put("boot_args", image.bootArgs()).put("size_bytes", image.sizeBytes());
    ObjectNode sums = o.putObject("sha256");
    image.sha256().forEach(sums::put);
    o.put("created_at", image.createdAt().toString());
    return o;
  }

  public static Image image(JsonNode o) {
    Map<String, String> sums = new LinkedHashMap<>();
    JsonNode sha = o.get("sha256");
    if (sha == null || !sha.isObject()) {
      throw malformed("sha256", o);
    }
    sha.properties().forEach(e -> sums.put(e.getKey(), e.getValue().asText()));
    return new Image(
        text(o, "name"),
        Path.of(text(o, "kernel")),
        Path.of(text(o, "rootfs")),
        optionalText(o, "initrd").map(Path::of),
        text(o, "boot_args"),
        number(o, "size_bytes"),
        sums,
        instant(o, "created_at"));
  }

  public static ObjectNode images(List<Image> images) {
    ObjectNode result = Wire.object();
    ArrayNode list = result.putArray("images");
    images.forEach(i -> list.add(image(i)));
    return result;
  }

  public static List<Image> images(JsonNode result) {
    List<Image> images = new ArrayList<>();
    array(result, "images").forEach(i -> images.add(image(i)));
    return images;
  }

  public static ObjectNode imageDetails(ImageDetails details) {
    ObjectNode o = image(details.image());
    ArrayNode users = o.putArray("used_by");
    details.usedBy().forEach(users::add);
    return o;
  }

  public static ImageDetails imageDetails(JsonNode o) {
    List<String> users = new ArrayList<>();
    array(o, "used_by").forEach(u -> users.add(u.asText()));
    return new ImageDetails(image(o), users);
  }

  /**
   * {@code image.register}'s params: the files travel as descriptors passed with the request
   * (ARCHITECTURE.md, Decisions, "Files from clients"), the kernel as number 0, the rootfs as 1 and
   * the initrd, if any, as 2; their paths only name them in messages.
   */
  public static ObjectNode imageRegistration(ImageRegistration r) {
    ObjectNode o =
        Wire.object()
            .put("name", r.name())
            .put("kernel_fd", 0)
            .put("kernel_name", r.kernel().toString())
            .put("rootfs_fd", 1)
            .put("rootfs_name", r.rootfs().toString());
    r.initrd().ifPresent(p -> o.put("initrd_fd", 2).put("initrd_name", p.toString()));
    r.bootArgs().ifPresent(b -> o.put("boot_args", b));
    if (r.extractKernel()) {
      o.put("extract_kernel", true);
    }
    return o;
  }

  /**
   * {@code image.build}'s params: the {@code --run} script's text as the client read it, the
   * kernel, if any, as descriptor 0 passed with the request.
   */
  public static ObjectNode imageBuildSpec(ImageBuildSpec spec, Optional<String> runScript) {
    ObjectNode o = Wire.object().put("name", spec.name());
    spec.from().ifPresent(f -> o.put("from", f));
    if (!spec.packages().isEmpty()) {
      ArrayNode list = o.putArray("packages");
      spec.packages().forEach(list::add);
    }
    runScript.ifPresent(r -> o.put("run_script", r));
    spec.sizeBytes().ifPresent(b -> o.put("size", b));
    spec.kernel().ifPresent(k -> o.put("kernel_fd", 0).put("kernel_name", k.toString()));
    return o;
  }

  // ---- operations ----

  public static Op op(OpSnapshot s) {
    return new Op(
        s.id(),
        s.kind(),
        s.target(),
        OpState.fromWireName(s.state().wireName()),
        s.stage(),
        s.percent(),
        s.log(),
        s.error().map(e -> new OpError(e.stage(), e.message())),
        s.startedAt(),
        s.finishedAt(),
        s.result());
  }

  public static ObjectNode op(Op s) {
    ObjectNode o =
        Wire.object()
            .put("id", s.id())
            .put("kind", s.kind())
            .put("target", s.target())
            .put("state", s.state().wireName())
            .put("stage", s.stage());
    s.percent().ifPresent(p -> o.put("percent", p));
    ArrayNode log = o.putArray("log");
    s.log().forEach(log::add);
    s.error()
        .ifPresent(e -> o.putObject("error").put("stage", e.stage()).put("message", e.message()));
    o.put("started_at", s.startedAt().toString());
    s.finishedAt().ifPresent(t -> o.put("finished_at", t.toString()));
    s.result().ifPresent(r -> o.put("result", r));
    return o;
  }

  public static Op op(JsonNode o) {
    List<String> log = new ArrayList<>();
    array(o, "log").forEach(l -> log.add(l.asText()));
    JsonNode error = o.get("error");
    return new Op(
        text(o, "id"),
        text(o, "kind"),
        text(o, "target"),
        OpState.fromWireName(text(o, "state")),
        text(o, "stage"),
        o.has("percent") ? OptionalInt.of((int) number(o, "percent")) : OptionalInt.empty(),
        log,
        error == null || !error.isObject()
            ? Optional.empty()
            : Optional.of(new OpError(text(error, "stage"), text(error, "message"))),
        instant(o, "started_at"),
        o.has("finished_at") ? Optional.of(instant(o, "finished_at")) : Optional.empty(),
        optionalText(o, "result"));
  }

  public static ObjectNode ops(List<Op> ops) {
    ObjectNode result = Wire.object();
    ArrayNode list = result.putArray("ops");
    ops.forEach(op -> list.add(op(op)));
    return result;
  }

  public static List<Op> ops(JsonNode result) {
    List<Op> ops = new ArrayList<>();
    array(result, "ops").forEach(o -> ops.add(op(o)));
    return ops;
  }

  // ---- reading ----

  static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw malformed(field, o);
    }
    return v.textValue();
  }

  static Optional<String> optionalText(JsonNode o, String field) {
    return o.has(field) ? Optional.of(text(o, field)) : Optional.empty();
  }

  static long number(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw malformed(field, o);
    }
    return v.longValue();
  }

  static Instant instant(JsonNode o, String field) {
    try {
      return Instant.parse(text(o, field));
    } catch (DateTimeParseException e) {
      throw malformed(field, o);
    }
  }

  static JsonNode array(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isArray()) {
      throw malformed(field, o);
    }
    return v;
  }

  static HearthException malformed(String field, JsonNode o) {
    return new HearthException(
        HearthException.Kind.PROTOCOL,
        "the daemon's reply has no usable '" + field + "': " + Wire.abbreviate(o));
  }

  private static OptionalInt optionalInt(Params params, String field) {
    if (params.node(field).isEmpty()) {
      return OptionalInt.empty();
    }
    long value = params.longValue(field, 0);
    // Beyond an int, the record's range check (the same bounds) names the value.
    return OptionalInt.of((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value)));
  }
}

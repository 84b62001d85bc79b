package dev.hearth.daemon.internal.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Config;
import dev.hearth.core.CoreException;
import dev.hearth.core.Names;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.internal.rpc.ErrorKind;
import dev.hearth.daemon.internal.rpc.NotificationSink;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.rpc.VmMethods;
import dev.hearth.daemon.internal.rpc.Wire;
import dev.hearth.fcproc.process.ConsoleLogReader;
import dev.hearth.opstate.AmbiguousOpIdException;
import dev.hearth.opstate.OpAlreadyFinishedException;
import dev.hearth.opstate.OpNotFoundException;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.OpWatch;
import dev.hearth.opstate.Registry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/** The {@code vm.*} and {@code op.*} RPC methods: params in, JSON out, on {@link VmService}. */
public final class VmRpc implements VmMethods {
  static final Duration STREAM_POLL = Duration.ofMillis(200);
  static final Duration KEEPALIVE = Duration.ofSeconds(1);

  private final VmService service;
  private final Config config;
  private final ConsoleLogReader logs = new ConsoleLogReader();
  private final List<Registry<?>> otherOps;

  public VmRpc(VmService service, Config config) {
    this(service, config, List.of());
  }

  /** @param otherOps registries of other kinds (image builds) that the op.* methods also serve */
  public VmRpc(VmService service, Config config, List<Registry<?>> otherOps) {
    this.service = service;
    this.config = config;
    this.otherOps = List.copyOf(otherOps);
  }

  // ---- vm.* ----

  @Override
  public JsonNode create(Params params) throws InterruptedException {
    params.requireOnly(Set.of("name", "image", "vcpus", "memory_mib", "disk_size", "no_start"));
    String name = validName(params, "name");
    String image = validName(params, "image");
    int vcpus = (int) params.longValue("vcpus", config.defaultVcpus(), 1, 32);
    int memory = (int) params.longValue("memory_mib", config.defaultMemoryMib(), 128, 262144);
    OptionalLong disk = diskSize(params);
    boolean noStart = params.bool("no_start", false);
    VmService.Created created =
        service.create(new VmService.CreateRequest(name, image, vcpus, memory, disk, noStart));
    ObjectNode result = Wire.object();
    result.set("op", snapshot(created.op()));
    result.set("vm", vm(created.vm()));
    return result;
  }

  @Override
  public JsonNode list(Params params) {
    params.requireNone();
    ObjectNode result = Wire.object();
    ArrayNode list = result.putArray("vms");
    service.list().forEach(v -> list.add(vm(v)));
    return result;
  }

  @Override
  public JsonNode show(Params params) {
    params.requireOnly(Set.of("vm"));
    Vm vm = service.find(params.string("vm"));
    ObjectNode result = vm(vm);
    result.put("api_socket", service.apiSocket(vm).toString());
    result.put("console_log", service.consoleLog(vm).toString());
    result.put("root_disk", vm.rootDisk().map(d -> d.path().toString()).orElse(""));
    result.put("boot_args", vm.bootArgs());
    return result;
  }

  @Override
  public JsonNode start(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm"));
    return vm(service.start(params.string("vm")));
  }

  @Override
  public JsonNode stop(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "timeout_seconds"));
    long seconds =
        params.longValue("timeout_seconds", config.stopTimeout().toSeconds(), 0, 24 * 3600);
    return vm(service.stop(params.string("vm"), Duration.ofSeconds(seconds)));
  }

  @Override
  public JsonNode kill(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm"));
    return vm(service.kill(params.string("vm")));
  }

  @Override
  public JsonNode delete(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "force"));
    String id = service.delete(params.string("vm"), params.bool("force", false));
    return Wire.object().put("deleted", id);
  }

  @Override
  public JsonNode logs(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "tail", "follow"));
    Vm vm = service.find(params.string("vm"));
    long tail = params.longValue("tail", -1, -1, Integer.MAX_VALUE);
    boolean follow = params.bool("follow", false);
    ConsoleLogReader.Tail start = logs.tail(service.consoleLog(vm), tail);
    if (!follow) {
      return data(start.bytes());
    }
    NotificationSink sink = params.sink();
    try {
      for (byte[] chunk : ConsoleLogReader.chunks(start.bytes())) {
        sink.send("vm.logs.data", data(chunk));
      }
      ConsoleLogReader.Position position = start.position();
      long quietSince = System.nanoTime();
      while (true) {
        boolean running = service.isRunning(vm.id());
        ConsoleLogReader.Read read = logs.readFrom(service.consoleLog(vm), position);
        position = read.position();
        for (byte[] chunk : ConsoleLogReader.chunks(read.bytes())) {
          sink.send("vm.logs.data", data(chunk));
          quietSince = System.nanoTime();
        }
        if (!running) {
          break;
        }
        if (System.nanoTime() - quietSince >= KEEPALIVE.toNanos()) {
          sink.keepAlive();
          quietSince = System.nanoTime();
        }
        Thread.sleep(STREAM_POLL.toMillis());
      }
    } catch (IOException clientGone) {
      // The client went away; the final response goes nowhere, which is fine.
    }
    return data(new byte[0]);
  }

  // ---- op.* ----

  @Override
  public JsonNode opList(Params params) {
    params.requireNone();
    ObjectNode result = Wire.object();
    ArrayNode ops = result.putArray("ops");
    List<OpSnapshot> all = new ArrayList<>();
    registries().forEach(r -> all.addAll(r.list()));
    // As each registry lists: running ones oldest first, then ended ones most recent first.
    all.sort(
        Comparator.comparing(OpSnapshot::finished)
            .thenComparing(s -> s.finished() ? Instant.EPOCH : s.startedAt())
            .thenComparing(
                s -> s.finishedAt().orElse(Instant.EPOCH), Comparator.reverseOrder()));
    all.forEach(s -> ops.add(snapshot(s)));
    return result;
  }

  @Override
  public JsonNode opShow(Params params) {
    params.requireOnly(Set.of("op"));
    String id = params.string("op");
    return snapshot(op(() -> registryOf(id).get(id)));
  }

  @Override
  public JsonNode opCancel(Params params) {
    params.requireOnly(Set.of("op"));
    String id = params.string("op");
    return snapshot(op(() -> registryOf(id).cancel(id)));
  }

  @Override
  public JsonNode opWatch(Params params) throws InterruptedException {
    params.requireOnly(Set.of("op"));
    NotificationSink sink = params.sink();
    String id = params.string("op");
    Registry<?> registry = op(() -> registryOf(id));
    OpWatch watch = op(() -> registry.watch(id));
    try (watch) {
      OpSnapshot last = null;
      while (true) {
        Optional<OpSnapshot> next = watch.next(KEEPALIVE);
        if (next.isPresent()) {
          last = next.get();
          if (last.finished()) {
            return snapshot(last);
          }
          sink.send("op.progress", snapshot(last));
        } else if (watch.done()) {
          return snapshot(registry.get(watch.opId()));
        } else {
          sink.keepAlive();
        }
      }
    } catch (IOException clientGone) {
      return snapshot(registry.get(watch.opId()));
    }
  }

  private List<Registry<?>> registries() {
    List<Registry<?>> all = new ArrayList<>();
    all.add(service.createOps());
    all.addAll(otherOps);
    return all;
  }

  /**
   * The registry holding the op an id or prefix names; the createOps registry when none does (its
   * lookup then reports not found), and a -32602 error when ops of several registries match.
   */
  private Registry<?> registryOf(String idOrPrefix) {
    List<Registry<?>> holding = new ArrayList<>();
    List<OpSnapshot> candidates = new ArrayList<>();
    for (Registry<?> r : registries()) {
      List<OpSnapshot> found = r.matching(idOrPrefix);
      if (!found.isEmpty()) {
        holding.add(r);
        candidates.addAll(found);
      }
    }
    if (holding.size() > 1) {
      throw ErrorKind.INVALID_PARAMS.error(
          "id prefix '" + idOrPrefix + "' matches " + candidates.size() + " operations: "
              + candidates.stream().map(OpSnapshot::describe).collect(Collectors.joining(", "))
              + "; give more of the id");
    }
    return holding.isEmpty() ? service.createOps() : holding.get(0);
  }

  private interface OpCall<T> {
    T call();
  }

  private static <T> T op(OpCall<T> call) {
    try {
      return call.call();
    } catch (OpNotFoundException e) {
      throw ErrorKind.NOT_FOUND.error(e.getMessage());
    } catch (AmbiguousOpIdException e) {
      throw ErrorKind.INVALID_PARAMS.error(e.getMessage());
    } catch (OpAlreadyFinishedException e) {
      throw ErrorKind.PRECONDITION_FAILED.error(e.getMessage());
    }
  }

  // ---- params ----

  private static String validName(Params params, String field) {
    String value = params.string(field);
    if (!Names.isValid(value)) {
      throw params.invalid(
          field,
          "'"
              + Wire.abbreviate(value)
              + "' is not a valid name (lowercase letters, digits and '-', starting with a letter"
              + " or digit, at most 63)");
    }
    return value;
  }

  private static OptionalLong diskSize(Params params) {
    Optional<JsonNode> node = params.node("disk_size");
    if (node.isEmpty()) {
      return OptionalLong.empty();
    }
    JsonNode n = node.get();
    long bytes;
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      bytes = n.longValue();
    } else if (n.isTextual()) {
      try {
        bytes = Sizes.parse(n.textValue());
      } catch (CoreException | IllegalArgumentException e) {
        throw params.invalid("disk_size", e.getMessage());
      }
    } else {
      throw params.invalid("disk_size", "give a size such as \"10G\" or a number of bytes");
    }
    if (bytes <= 0) {
      throw params.invalid("disk_size", "must be positive; got " + bytes);
    }
    return OptionalLong.of(bytes);
  }

  // ---- JSON ----

  static ObjectNode vm(Vm vm) {
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
    vm.process().ifPresent(p -> o.put("pid", p.pid()));
    vm.vmm().ifPresent(k -> o.put("vmm", k.wireName()));
    if (vm.state() == VmState.ERROR) {
      o.put("error", vm.error().orElse(""));
    }
    return o;
  }

  /** The operation snapshot as the RPC contract spells it. */
  public static ObjectNode snapshot(OpSnapshot s) {
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

  private static ObjectNode data(byte[] bytes) {
    return Wire.object().put("data", Base64.getEncoder().encodeToString(bytes));
  }
}

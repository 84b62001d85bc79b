package dev.hearth.daemon.internal.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.NotificationSink;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.VmCreation;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.rpc.VmMethods;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The {@code vm.*} and {@code op.*} RPC methods: params in, read into the API's records by {@link
 * ApiJson} (whose constructors validate), the in-process API ({@link LocalVms}, {@link LocalOps}),
 * the records out as JSON by {@link ApiJson}.
 */
public final class VmRpc implements VmMethods {
  static final Duration KEEPALIVE = Duration.ofSeconds(1);

  private final VmService service;
  private final LocalVms vms;
  private final LocalOps ops;

  /**
   * @param vms the typed VM API the methods adapt
   * @param ops the typed operations API, of every kind
   */
  public VmRpc(VmService service, LocalVms vms, LocalOps ops) {
    this.service = service;
    this.vms = vms;
    this.ops = ops;
  }

  // ---- vm.* ----

  @Override
  public JsonNode create(Params params) throws InterruptedException {
    VmCreation created = vms.create(ApiJson.vmSpec(params));
    ObjectNode result = Wire.object();
    result.set("op", ApiJson.op(created.op()));
    result.set("vm", ApiJson.vm(created.vm()));
    return result;
  }

  @Override
  public JsonNode list(Params params) {
    params.requireNone();
    return ApiJson.vms(vms.list());
  }

  @Override
  public JsonNode show(Params params) {
    params.requireOnly(Set.of("vm"));
    return ApiJson.vmDetails(vms.show(params.string("vm")));
  }

  @Override
  public JsonNode egress(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "policy"));
    String vm = params.string("vm");
    Optional<String> policy = params.optionalString("policy");
    return ApiJson.vmEgress(policy.isPresent() ? vms.setEgress(vm, policy.get()) : vms.egress(vm));
  }

  @Override
  public JsonNode start(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm"));
    return ApiJson.vm(vms.start(params.string("vm")));
  }

  @Override
  public JsonNode stop(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "timeout_seconds"));
    Optional<Duration> timeout =
        params.node("timeout_seconds").isPresent()
            ? Optional.of(Duration.ofSeconds(params.longValue("timeout_seconds", 0)))
            : Optional.empty();
    return ApiJson.vm(vms.stop(params.string("vm"), timeout));
  }

  @Override
  public JsonNode kill(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm"));
    return ApiJson.vm(vms.kill(params.string("vm")));
  }

  @Override
  public JsonNode delete(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "force"));
    String id = vms.delete(params.string("vm"), params.bool("force", false));
    return Wire.object().put("deleted", id);
  }

  @Override
  public JsonNode logs(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "tail", "follow"));
    Vm vm = service.find(params.string("vm"));
    long tail = params.longValue("tail", -1, -1, Integer.MAX_VALUE);
    boolean follow = params.bool("follow", false);
    if (!follow) {
      return data(vms.logs(vm.id(), tail < 0 ? OptionalLong.empty() : OptionalLong.of(tail)));
    }
    NotificationSink sink = params.sink();
    long[] quietSince = {System.nanoTime()};
    try {
      vms.followLogs(
          vm.id(),
          tail < 0 ? OptionalLong.empty() : OptionalLong.of(tail),
          chunk -> {
            send(sink, "vm.logs.data", data(chunk));
            quietSince[0] = System.nanoTime();
          },
          () -> {
            if (System.nanoTime() - quietSince[0] >= KEEPALIVE.toNanos()) {
              keepAlive(sink);
              quietSince[0] = System.nanoTime();
            }
          });
    } catch (UncheckedIOException clientGone) {
      // The client went away; the final response goes nowhere, which is fine.
    }
    return data(new byte[0]);
  }

  // ---- op.* ----

  @Override
  public JsonNode opList(Params params) {
    params.requireNone();
    return ApiJson.ops(ops.list());
  }

  @Override
  public JsonNode opShow(Params params) {
    params.requireOnly(Set.of("op"));
    return ApiJson.op(ops.show(params.string("op")));
  }

  @Override
  public JsonNode opCancel(Params params) {
    params.requireOnly(Set.of("op"));
    return ApiJson.op(ops.cancel(params.string("op")));
  }

  @Override
  public JsonNode opWatch(Params params) throws InterruptedException {
    params.requireOnly(Set.of("op"));
    NotificationSink sink = params.sink();
    String id = params.string("op");
    try {
      return ApiJson.op(
          ops.watch(id, op -> send(sink, "op.progress", ApiJson.op(op)), () -> keepAlive(sink)));
    } catch (UncheckedIOException clientGone) {
      return ApiJson.op(ops.show(id));
    }
  }

  /** Sends a notification; a client gone surfaces as UncheckedIOException, caught by the caller. */
  private static void send(NotificationSink sink, String method, JsonNode params) {
    try {
      sink.send(method, params);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void keepAlive(NotificationSink sink) {
    try {
      sink.keepAlive();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode data(byte[] bytes) {
    return Wire.object().put("data", Base64.getEncoder().encodeToString(bytes));
  }
}

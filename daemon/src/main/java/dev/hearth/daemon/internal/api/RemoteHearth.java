package dev.hearth.daemon.internal.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.NotificationListener;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.ImageBuilding;
import dev.hearth.daemon.ImageDetails;
import dev.hearth.daemon.ImageRegistration;
import dev.hearth.daemon.Images;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.Ops;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.Pty;
import dev.hearth.daemon.RawRpc;
import dev.hearth.daemon.Sessions;
import dev.hearth.daemon.VersionInfo;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmCreation;
import dev.hearth.daemon.VmDetails;
import dev.hearth.daemon.VmEgress;
import dev.hearth.daemon.VmSpec;
import dev.hearth.daemon.Vms;
import dev.hearth.daemon.Workspaces;
import dev.hearth.daemon.internal.imagebuild.ClientFiles;
import dev.hearth.daemon.internal.rpc.ApiJson;
import java.io.FileDescriptor;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * {@link Hearth} over a daemon's socket: each call one request on a {@link HearthClient}, params
 * written and results read by {@link ApiJson}, the same code the daemon's handlers use. Requests
 * that block a connection for long ({@code op.watch}, {@code vm.exec}) get a connection of their
 * own, so that other calls go on meanwhile. Every failure is a {@link HearthException} already
 * ({@link HearthClient} types the daemon's errors by their code).
 */
public final class RemoteHearth implements Hearth, RawRpc {
  private final Path socket;
  private final HearthClient client;
  private final RemoteVms vms = new RemoteVms();
  private final RemoteOps ops = new RemoteOps();
  private final RemoteImages images = new RemoteImages();
  private final RemoteGuest guest;
  private final RemoteSessions sessions;
  private final RemoteWorkspaces workspaces;

  private RemoteHearth(Path socket, HearthClient client) {
    this.socket = socket;
    this.client = client;
    this.guest = new RemoteGuest(socket);
    this.sessions = new RemoteSessions(socket, this::call);
    this.workspaces = new RemoteWorkspaces(socket, this::call);
  }

  /** Connects and checks the protocol version. */
  public static RemoteHearth connect(Path socket) {
    return new RemoteHearth(socket, HearthClient.connect(socket));
  }

  @Override
  public Vms vms() {
    return vms;
  }

  @Override
  public Ops ops() {
    return ops;
  }

  @Override
  public Images images() {
    return images;
  }

  @Override
  public Sessions sessions() {
    return sessions;
  }

  @Override
  public Workspaces workspaces() {
    return workspaces;
  }

  @Override
  public DoctorReport doctor() {
    return client.doctor();
  }

  @Override
  public VersionInfo version() {
    return client.version();
  }

  @Override
  public void ping() {
    client.ping();
  }

  @Override
  public String call(String method, Optional<String> paramsJson) {
    try {
      return client.call(method, paramsJson.orElse(null));
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid(e.getMessage());
    }
  }

  @Override
  public void close() {
    client.close();
  }

  private JsonNode call(String method, ObjectNode params) {
    return call(client, method, params, (m, p) -> {});
  }

  static JsonNode call(
      HearthClient on, String method, ObjectNode params, NotificationListener listener) {
    return parse(on.call(method, params.toString(), listener));
  }

  static JsonNode parse(String json) {
    try {
      return Wire.mapper().readTree(json);
    } catch (JacksonException e) {
      throw new HearthException(
          HearthException.Kind.PROTOCOL,
          "the daemon sent a result that is not JSON: " + e.getOriginalMessage(),
          e);
    }
  }

  /**
   * A request that passes open files: on a connection of its own that can carry descriptors, so
   * that only the commands passing files load junixsocket's native library (ARCHITECTURE.md,
   * Decisions, "Files from clients").
   */
  private JsonNode callWithFiles(String method, ObjectNode params, List<FileDescriptor> files) {
    try (HearthClient own = HearthClient.connectPassingFiles(socket)) {
      return parse(own.callWithFiles(method, params.toString(), files));
    }
  }

  private static ObjectNode vmParam(String vm) {
    return Wire.object().put("vm", vm);
  }

  private final class RemoteVms implements Vms {
    @Override
    public VmCreation create(VmSpec spec) {
      JsonNode result = call("vm.create", ApiJson.vmSpec(spec));
      Vm vm = ApiJson.vm(result.path("vm"));
      Op op = ApiJson.op(result.path("op"));
      return new VmCreation(vm, op, operation(op.id(), vm.id()));
    }

    private OpHandle<Vm> operation(String opId, String vmId) {
      return new OpHandle<>(opId, ops, end -> show(vmId).vm());
    }

    @Override
    public List<Vm> list() {
      return ApiJson.vms(call("vm.list", Wire.object()));
    }

    @Override
    public VmDetails show(String vm) {
      return ApiJson.vmDetails(call("vm.show", vmParam(vm)));
    }

    @Override
    public VmEgress egress(String vm) {
      return ApiJson.vmEgress(call("vm.egress", vmParam(vm)));
    }

    @Override
    public VmEgress setEgress(String vm, String policy) {
      return ApiJson.vmEgress(call("vm.egress", vmParam(vm).put("policy", policy)));
    }

    @Override
    public Vm start(String vm) {
      return ApiJson.vm(call("vm.start", vmParam(vm)));
    }

    @Override
    public Vm stop(String vm, Optional<Duration> timeout) {
      ObjectNode params = vmParam(vm);
      timeout.ifPresent(t -> params.put("timeout_seconds", t.toSeconds()));
      return ApiJson.vm(call("vm.stop", params));
    }

    @Override
    public Vm kill(String vm) {
      return ApiJson.vm(call("vm.kill", vmParam(vm)));
    }

    @Override
    public String delete(String vm, boolean force) {
      ObjectNode params = vmParam(vm);
      if (force) {
        params.put("force", true);
      }
      return call("vm.delete", params).path("deleted").asText();
    }

    @Override
    public byte[] logs(String vm, OptionalLong tail) {
      ObjectNode params = vmParam(vm);
      tail.ifPresent(t -> params.put("tail", t));
      return ApiJson.data("vm.logs", call("vm.logs", params));
    }

    @Override
    public void followLogs(String vm, OptionalLong tail, Consumer<byte[]> data) {
      guest.followLogs(vm, tail, data);
    }

    @Override
    public GuestProcess start(String vm, ExecSpec spec, OutputSink out) {
      return guest.start(vm, spec, out);
    }

    @Override
    public GuestProcess shell(String vm, Pty pty, OutputSink out) {
      return guest.shell(vm, pty, out);
    }

    @Override
    public long copyIn(String vm, String path, String name, InputStream tar)
        throws InterruptedException {
      return guest.copyIn(vm, path, name, tar);
    }

    @Override
    public long copyOut(String vm, String path, OutputStream tar) {
      return guest.copyOut(vm, path, tar);
    }

    @Override
    public CopiedOut copyOut(String vm, String path, Path destination, CopyLimits limits)
        throws InterruptedException {
      return guest.copyOut(vm, path, destination, limits);
    }

    public int exec(String vm, ExecSpec spec, OutputSink out) throws InterruptedException {
      try (GuestProcess process = guest.start(vm, spec, out)) {
        process.closeInput();
        return process.awaitExit();
      }
    }
  }

  private final class RemoteImages implements Images {
    @Override
    public Image register(ImageRegistration registration) {
      try (ClientOpenedFiles files = new ClientOpenedFiles()) {
        files.open("kernel", registration.kernel());
        files.open("rootfs", registration.rootfs());
        registration.initrd().ifPresent(p -> files.open("initrd", p));
        return ApiJson.image(
            callWithFiles(
                "image.register", ApiJson.imageRegistration(registration), files.descriptors()));
      }
    }

    @Override
    public List<Image> list() {
      return ApiJson.images(call("image.list", Wire.object()));
    }

    @Override
    public ImageDetails show(String name) {
      return ApiJson.imageDetails(call("image.show", Wire.object().put("image", name)));
    }

    @Override
    public String delete(String name) {
      return call("image.delete", Wire.object().put("image", name)).path("deleted").asText();
    }

    @Override
    public Image promote(String vm, String name) {
      return ApiJson.image(call("image.promote", Wire.object().put("vm", vm).put("name", name)));
    }

    @Override
    public ImageBuilding build(ImageBuildSpec spec) {
      Optional<String> runScript = spec.run().map(ClientFiles::readRunScript);
      ObjectNode params = ApiJson.imageBuildSpec(spec, runScript);
      Op op;
      if (spec.kernel().isEmpty()) {
        op = ApiJson.op(call("image.build", params).path("op"));
      } else {
        try (ClientOpenedFiles files = new ClientOpenedFiles()) {
          files.open("kernel", spec.kernel().get());
          op = ApiJson.op(callWithFiles("image.build", params, files.descriptors()).path("op"));
        }
      }
      return new ImageBuilding(op, new OpHandle<>(op.id(), ops, end -> show(spec.name()).image()));
    }
  }

  private final class RemoteOps implements Ops {
    @Override
    public List<Op> list() {
      return ApiJson.ops(call("op.list", Wire.object()));
    }

    @Override
    public Op show(String op) {
      return ApiJson.op(call("op.show", Wire.object().put("op", op)));
    }

    @Override
    public Op cancel(String op) {
      return ApiJson.op(call("op.cancel", Wire.object().put("op", op)));
    }

    @Override
    public Op watch(String op, Consumer<Op> progress) {
      HearthClient own = HearthClient.connect(socket);
      try (own) {
        return ApiJson.op(
            call(
                own,
                "op.watch",
                Wire.object().put("op", op),
                (method, params) -> {
                  if (method.equals("op.progress")) {
                    progress.accept(ApiJson.op(parse(params)));
                  }
                }));
      }
    }
  }
}

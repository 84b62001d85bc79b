package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.BuildInfo;
import dev.hearth.core.rpc.JsonRpcProtocol;
import dev.hearth.core.rpc.NotificationSink;
import dev.hearth.core.rpc.RequestHandler;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.fcproc.VmmChoice;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The daemon's RPC methods: one switch from the method name ({@code noun.verb}, ARCHITECTURE.md,
 * "RPC protocol") to the code that serves it. This is the only place a method name is mapped to
 * behaviour; to add a method, add a case here that reads its {@link Params} and returns the result
 * object.
 *
 * <p>By the time {@link #dispatch} runs, {@link JsonRpcProtocol} has checked the JSON-RPC envelope
 * and that {@code params} is an object. A handler reports a failure by throwing a {@link
 * dev.hearth.daemon.HearthException} ({@code HearthException.notFound("no VM named 'x'")}), whose
 * message a person can act on and whose kind {@link ErrorKind#of} maps to the JSON-RPC code (here,
 * in {@link #handle}, the daemon's one place for it); any other exception becomes an {@link
 * ErrorKind#INTERNAL} error and is logged with its stack trace.
 *
 * <p>Methods served now:
 *
 * <ul>
 *   <li>{@code daemon.ping} → {@code {"pong": true}}
 *   <li>{@code daemon.version} → {@code {"version", "protocol_version", "java_version", "pid",
 *       "vmm": {"kind", "path", "reason"}}}
 *   <li>{@code daemon.doctor} → {@code {"checks", "failed"}}, each check being {@code {"name",
 *       "status", "detail", "fix"}}
 *   <li>{@code vm.create}, {@code vm.list}, {@code vm.show}, {@code vm.start}, {@code vm.stop},
 *       {@code vm.kill}, {@code vm.delete}, {@code vm.logs}, {@code vm.egress}, {@code op.list},
 *       {@code op.show}, {@code op.watch}, {@code op.cancel}: see {@link VmMethods} and
 *       ARCHITECTURE.md
 *   <li>{@code image.build}: see {@code internal.imagebuild.ImageBuildRpc}
 *   <li>{@code image.register}, {@code image.list}, {@code image.show}, {@code image.delete},
 *       {@code image.promote}: see {@link ImageMethods} and ARCHITECTURE.md
 *   <li>{@code session.start}, {@code session.list}, {@code session.attach}, {@code session.write},
 *       {@code session.kill}, {@code session.wait}, {@code session.logs}: see {@link
 *       SessionMethods} and ARCHITECTURE.md
 * </ul>
 *
 * <p>Tests may add handlers for method names this switch does not know.
 */
public final class Dispatcher implements RequestHandler {
  private final Supplier<DoctorReport> doctor;
  private final long pid;
  private final Supplier<VmmChoice> vmm;
  private final VmMethods vms;
  private final RpcHandler imageBuild;
  private final ImageMethods images;
  private final GuestMethods guests;
  private final SessionMethods sessions;
  private final Map<String, RpcHandler> extraHandlers;

  /**
   * @param doctor runs the doctor checks for {@code daemon.doctor}
   * @param pid the daemon's pid, reported by {@code daemon.version}
   * @param vmm the VMM the daemon runs VMs under now, reported by {@code daemon.version}
   * @param vms serves the {@code vm.*} and {@code op.*} methods
   * @param imageBuild serves {@code image.build}
   * @param images serves the {@code image.*} methods
   * @param guests serves {@code vm.exec}, {@code vm.shell} and {@code vm.copy}
   * @param sessions serves the {@code session.*} methods
   * @param extraHandlers handlers for further methods (test seams)
   */
  public Dispatcher(
      Supplier<DoctorReport> doctor,
      long pid,
      Supplier<VmmChoice> vmm,
      VmMethods vms,
      RpcHandler imageBuild,
      ImageMethods images,
      GuestMethods guests,
      SessionMethods sessions,
      Map<String, RpcHandler> extraHandlers) {
    this.doctor = doctor;
    this.pid = pid;
    this.vmm = vmm;
    this.vms = vms;
    this.imageBuild = imageBuild;
    this.images = images;
    this.guests = guests;
    this.sessions = sessions;
    this.extraHandlers = Map.copyOf(extraHandlers);
  }

  /** Serves one request for the transport, a typed failure answered with its kind's code. */
  @Override
  public JsonNode handle(
      String method, ObjectNode params, NotificationSink sink, RequestStream stream)
      throws InterruptedException {
    try {
      return dispatch(new Params(method, params, sink, stream));
    } catch (HearthException e) {
      throw ErrorKind.toWire(e);
    }
  }

  /** Serves one request and returns its result. */
  public JsonNode dispatch(Params params) throws InterruptedException {
    switch (params.method()) {
      case "daemon.ping":
        params.requireNone();
        return Wire.object().put("pong", true);
      case "daemon.version":
        params.requireNone();
        return version();
      case "daemon.doctor":
        params.requireNone();
        return DaemonJson.toJson(doctor.get());
      case "vm.create":
        return vms.create(params);
      case "vm.list":
        return vms.list(params);
      case "vm.show":
        return vms.show(params);
      case "vm.start":
        return vms.start(params);
      case "vm.stop":
        return vms.stop(params);
      case "vm.egress":
        return vms.egress(params);
      case "vm.kill":
        return vms.kill(params);
      case "vm.delete":
        return vms.delete(params);
      case "vm.logs":
        return vms.logs(params);
      case "vm.exec":
        return guests.exec(params);
      case "vm.shell":
        return guests.shell(params);
      case "vm.copy":
        return guests.copy(params);
      case "op.list":
        return vms.opList(params);
      case "op.show":
        return vms.opShow(params);
      case "op.watch":
        return vms.opWatch(params);
      case "op.cancel":
        return vms.opCancel(params);
      case "image.build":
        return imageBuild.handle(params);
      case "image.register":
        return images.register(params);
      case "image.list":
        return images.list(params);
      case "image.show":
        return images.show(params);
      case "image.delete":
        return images.delete(params);
      case "image.promote":
        return images.promote(params);
      case "session.start":
        return sessions.start(params);
      case "session.list":
        return sessions.list(params);
      case "session.attach":
        return sessions.attach(params);
      case "session.write":
        return sessions.write(params);
      case "session.kill":
        return sessions.kill(params);
      case "session.wait":
        return sessions.waitFor(params);
      case "session.logs":
        return sessions.logs(params);
      default:
        RpcHandler handler = extraHandlers.get(params.method());
        if (handler == null) {
          throw ErrorKind.METHOD_NOT_FOUND.error(
              "unknown method '" + Wire.abbreviate(params.method()) + "'");
        }
        return handler.handle(params);
    }
  }

  private ObjectNode version() {
    return Wire.object()
        .put("version", BuildInfo.version())
        .put("protocol_version", Hearth.PROTOCOL_VERSION)
        .put("java_version", Runtime.version().toString())
        .put("pid", pid)
        .set("vmm", vmm(vmm.get()));
  }

  private static ObjectNode vmm(VmmChoice choice) {
    ObjectNode o = Wire.object().put("kind", choice.kind().wireName());
    if (choice.binary().isPresent()) {
      o.put("path", choice.binary().get().toString());
    } else {
      o.putNull("path");
    }
    return o.put("reason", choice.reason());
  }
}

package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.BuildInfo;
import dev.hearth.core.StoreException;
import dev.hearth.core.rpc.JsonRpcProtocol;
import dev.hearth.core.rpc.NotificationSink;
import dev.hearth.core.rpc.RequestHandler;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.fcproc.VmmChoice;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The daemon's RPC methods: one table from the method name ({@code noun.verb}, ARCHITECTURE.md,
 * "RPC protocol") to the code that serves it. This is the only place a method name is mapped to
 * behaviour; to add a method, add an entry to {@link #routes} that reads its {@link Params} and
 * returns the result object.
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
 * <p>Tests may add handlers for method names this table does not know.
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
    } catch (StoreException e) {
      // The state database refused a write (a full state_dir, an I/O error): the host's fault,
      // answered as such naming the database and SQLite's reason, not as an internal error.
      throw ErrorKind.toWire(
          HearthException.hostError(
              Wire.abbreviate(method) + " failed: the state database: " + e.getMessage()));
    }
  }

  /**
   * {@code daemon.ping} only: it answers from a constant, and it is what a client asks most often
   * to see that the daemon is up, so it is served on the RPC event loop. Any method that reads the
   * host, the database or a guest, or may grow to, stays on a connection's own threads.
   */
  @Override
  public boolean answersAtOnce(String method) {
    return method.equals("daemon.ping");
  }

  /** Serves one request and returns its result. */
  public JsonNode dispatch(Params params) throws InterruptedException {
    Route route = ROUTES.get(params.method());
    if (route != null) {
      return route.serve(this, params);
    }
    RpcHandler handler = extraHandlers.get(params.method());
    if (handler == null) {
      throw ErrorKind.METHOD_NOT_FOUND.error(
          "unknown method '" + Wire.abbreviate(params.method()) + "'");
    }
    return handler.handle(params);
  }

  /**
   * Every method this daemon serves (without the tests' extra handlers), in the table's order: the
   * RPC fuzzer takes its methods from here, so that a new method is fuzzed as soon as it exists.
   */
  public static Set<String> methods() {
    return ROUTES.keySet();
  }

  @FunctionalInterface
  private interface Route {
    JsonNode serve(Dispatcher d, Params params) throws InterruptedException;
  }

  private static final Map<String, Route> ROUTES = routes();

  private static Map<String, Route> routes() {
    Map<String, Route> r = new LinkedHashMap<>();
    r.put(
        "daemon.ping",
        (d, p) -> {
          p.requireNone();
          return Wire.object().put("pong", true);
        });
    r.put(
        "daemon.version",
        (d, p) -> {
          p.requireNone();
          return d.version();
        });
    r.put(
        "daemon.doctor",
        (d, p) -> {
          p.requireNone();
          return DaemonJson.toJson(d.doctor.get());
        });
    r.put("vm.create", (d, p) -> d.vms.create(p));
    r.put("vm.list", (d, p) -> d.vms.list(p));
    r.put("vm.show", (d, p) -> d.vms.show(p));
    r.put("vm.start", (d, p) -> d.vms.start(p));
    r.put("vm.stop", (d, p) -> d.vms.stop(p));
    r.put("vm.egress", (d, p) -> d.vms.egress(p));
    r.put("vm.kill", (d, p) -> d.vms.kill(p));
    r.put("vm.delete", (d, p) -> d.vms.delete(p));
    r.put("vm.logs", (d, p) -> d.vms.logs(p));
    r.put("vm.exec", (d, p) -> d.guests.exec(p));
    r.put("vm.shell", (d, p) -> d.guests.shell(p));
    r.put("vm.copy", (d, p) -> d.guests.copy(p));
    r.put("op.list", (d, p) -> d.vms.opList(p));
    r.put("op.show", (d, p) -> d.vms.opShow(p));
    r.put("op.watch", (d, p) -> d.vms.opWatch(p));
    r.put("op.cancel", (d, p) -> d.vms.opCancel(p));
    r.put("image.build", (d, p) -> d.imageBuild.handle(p));
    r.put("image.register", (d, p) -> d.images.register(p));
    r.put("image.list", (d, p) -> d.images.list(p));
    r.put("image.show", (d, p) -> d.images.show(p));
    r.put("image.delete", (d, p) -> d.images.delete(p));
    r.put("image.promote", (d, p) -> d.images.promote(p));
    r.put("session.start", (d, p) -> d.sessions.start(p));
    r.put("session.list", (d, p) -> d.sessions.list(p));
    r.put("session.attach", (d, p) -> d.sessions.attach(p));
    r.put("session.write", (d, p) -> d.sessions.write(p));
    r.put("session.kill", (d, p) -> d.sessions.kill(p));
    r.put("session.wait", (d, p) -> d.sessions.waitFor(p));
    r.put("session.logs", (d, p) -> d.sessions.logs(p));
    return Collections.unmodifiableMap(r);
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

package dev.hearth.daemon.internal.guest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.Pty;
import dev.hearth.daemon.VmState;
import dev.hearth.daemon.internal.api.CopiesOut;
import dev.hearth.daemon.internal.api.GuestAccess;
import dev.hearth.daemon.internal.api.LocalGuestProcess;
import dev.hearth.daemon.internal.rpc.GuestMethods;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmService;
import dev.hearth.session.Cancellation;
import dev.hearth.session.ExecRequest;
import dev.hearth.session.GuestArchiveException;
import dev.hearth.session.GuestCopy;
import dev.hearth.session.GuestCopyException;
import dev.hearth.session.GuestExec;
import dev.hearth.session.GuestSshException;
import dev.hearth.session.GuestSshTimeoutException;
import dev.hearth.session.GuestTarget;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code vm.exec}, {@code vm.shell} and {@code vm.copy}: params in, a {@link GuestExec} in the VM's
 * guest with the request's stream as its stdin, stdout and stderr, the exit code out; and the same
 * for the typed API in-process ({@link GuestAccess}).
 */
public final class GuestRpc implements GuestMethods, GuestAccess {
  /** TERM when the client gives none. */
  static final String DEFAULT_TERM = "xterm-256color";

  private final VmService vms;
  private final GuestRoute route;
  private final GuestExec exec;
  private final GuestCopy copy;

  public GuestRpc(VmService vms, GuestRoute route, GuestExec exec) {
    this.vms = vms;
    this.route = route;
    this.exec = exec;
    this.copy = new GuestCopy(exec);
  }

  @Override
  public JsonNode exec(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "argv", "env", "cwd", "tty", "cols", "rows", "term"));
    Vm vm = runningVm(params);
    List<String> argv = strings(params, "argv");
    if (argv.isEmpty()) {
      throw params.invalid("argv", "give the command to run, e.g. [\"uname\", \"-a\"]");
    }
    Optional<ExecRequest.Pty> pty =
        params.bool("tty", false) ? Optional.of(pty(params)) : Optional.empty();
    ExecRequest request;
    try {
      request = new ExecRequest(argv, env(params), params.optionalString("cwd"), pty);
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid("vm.exec: " + e.getMessage());
    }
    RequestStream stream = params.stream();
    int code = run(vm, stream, request, stream.input(), stream.output(1), stream.output(2));
    return Wire.object().put("exit_code", code);
  }

  @Override
  public JsonNode shell(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "cols", "rows", "term"));
    Vm vm = runningVm(params);
    ExecRequest.Pty pty = pty(params);
    RequestStream stream = params.stream();
    int code =
        run(
            vm,
            stream,
            ExecRequest.loginShell(pty),
            stream.input(),
            stream.output(1),
            stream.output(2));
    return Wire.object().put("exit_code", code);
  }

  /**
   * {@code direction} {@code to_guest}: the client sends a tar of one entry named {@code name},
   * which lands at {@code path} (inside it when it is a folder); {@code from_guest}: the guest's
   * {@code path} comes back as such a tar on fd 1 (see the session module's {@link GuestCopy}).
   */
  @Override
  public JsonNode copy(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "direction", "path", "name"));
    String direction = params.string("direction");
    String path = params.string("path");
    RequestStream stream = params.stream();
    long bytes =
        switch (direction) {
          case "to_guest" ->
              copy(
                  params.string("vm"),
                  Optional.of(stream),
                  path,
                  Optional.of(params::string),
                  stream.input(),
                  OutputStream.nullOutputStream());
          case "from_guest" ->
              copy(
                  params.string("vm"),
                  Optional.of(stream),
                  path,
                  Optional.empty(),
                  InputStream.nullInputStream(),
                  stream.output(1));
          default -> throw params.invalid("direction", "must be \"to_guest\" or \"from_guest\"");
        };
    return Wire.object().put("bytes", bytes);
  }

  /**
   * The typed API's copy into the guest: {@code tar} holds one entry {@code name}, unpacked at (or
   * into) {@code path}.
   *
   * @return the tar's size
   */
  @Override
  public long copyIn(String ref, String path, String name, InputStream tar)
      throws InterruptedException {
    return copy(
        ref,
        Optional.empty(),
        path,
        Optional.of(field -> name),
        tar,
        OutputStream.nullOutputStream());
  }

  /** The typed API's copy out of the guest: {@code path} as a tar of one entry to {@code tar}. */
  @Override
  public long copyOut(String ref, String path, OutputStream tar) throws InterruptedException {
    return copy(ref, Optional.empty(), path, Optional.empty(), InputStream.nullInputStream(), tar);
  }

  /**
   * The typed API's copy out of the guest to a host path: unpacked in this process by session's
   * {@code GuestTarExtractor} as it streams out of the guest.
   */
  @Override
  public CopiedOut copyOut(String ref, String path, Path destination, CopyLimits limits)
      throws InterruptedException {
    CopiesOut.entryName(path);
    Vm vm = runningVm(ref);
    GuestTarget target = route.target(vm);
    try {
      return CopiesOut.result(
          copy.fromGuest(target, path, destination, CopiesOut.limits(limits), new Cancellation()));
    } catch (GuestArchiveException e) {
      throw CopiesOut.failure(e);
    } catch (GuestCopyException e) {
      throw copyFailure(e);
    } catch (GuestSshException e) {
      throw sshError(e, Optional.empty());
    }
  }

  /** Where the name of a copy into the guest comes from, read once the VM is known to run. */
  private interface NameSource {
    String read(String field);
  }

  /**
   * A copy: into the guest when {@code name} is given (the tar from {@code in}), else out of it
   * (the tar to {@code out}).
   */
  private long copy(
      String ref,
      Optional<RequestStream> stream,
      String path,
      Optional<NameSource> name,
      InputStream in,
      OutputStream out)
      throws InterruptedException {
    if (path.isEmpty() || path.indexOf('\0') >= 0) {
      throw invalidCopy("path", "give a non-empty path without NUL characters");
    }
    Vm vm = runningVm(ref);
    GuestTarget target = route.target(vm);
    Cancellation cancel = new Cancellation();
    stream.ifPresent(s -> s.onCancel(cancel::cancel));
    try {
      if (name.isPresent()) {
        String entry = name.get().read("name");
        if (entry.isEmpty()
            || entry.equals(".")
            || entry.equals("..")
            || entry.contains("/")
            || entry.indexOf('\0') >= 0) {
          throw invalidCopy("name", "must be one file name (no '/', not '.' or '..')");
        }
        return copy.toGuest(target, path, entry, in, cancel);
      }
      return copy.fromGuest(target, path, out, cancel);
    } catch (GuestCopyException e) {
      throw copyFailure(e);
    } catch (GuestSshException e) {
      throw sshError(e, stream);
    }
  }

  private static HearthException copyFailure(GuestCopyException e) {
    return switch (e.kind()) {
      case NOT_FOUND -> HearthException.notFound(e.getMessage());
      case WRONG_KIND -> HearthException.preconditionFailed(e.getMessage());
      case FAILED -> HearthException.hostError(e.getMessage());
    };
  }

  private static HearthException invalidCopy(String field, String why) {
    return HearthException.invalid("param '" + field + "' of vm.copy: " + why);
  }

  /**
   * Runs the request in the VM's guest with the given streams; the request's stream, when there is
   * one, cancels it when the client goes, and resizes its terminal.
   */
  private int run(
      Vm vm,
      Optional<RequestStream> stream,
      ExecRequest request,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr)
      throws InterruptedException {
    GuestTarget target = route.target(vm);
    try (GuestExec.Execution execution = exec.start(target, request, stdin, stdout, stderr)) {
      stream.ifPresent(
          s -> {
            s.onCancel(execution::close);
            s.onResize(execution::resize);
          });
      return execution.await();
    } catch (GuestSshException e) {
      throw sshError(e, stream);
    }
  }

  private static HearthException sshError(GuestSshException e, Optional<RequestStream> stream) {
    if (e instanceof GuestSshTimeoutException) {
      return HearthException.timeout(e.getMessage());
    }
    return HearthException.hostError(
        stream.isPresent() && stream.get().cancelled()
            ? "the client went away: " + e.getMessage()
            : e.getMessage());
  }

  private int run(
      Vm vm,
      RequestStream stream,
      ExecRequest request,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr)
      throws InterruptedException {
    return run(vm, Optional.of(stream), request, stdin, stdout, stderr);
  }

  /**
   * The typed API's exec: the command with no input and no terminal, its output to {@code out}.
   *
   * @return the exit code
   */
  @Override
  public int exec(String ref, ExecSpec spec, OutputSink out) throws InterruptedException {
    Vm vm = runningVm(ref);
    return run(
        vm,
        Optional.empty(),
        request(spec),
        InputStream.nullInputStream(),
        sinkStream(out, 1),
        sinkStream(out, 2));
  }

  @Override
  public GuestProcess start(String ref, ExecSpec spec, OutputSink out) throws InterruptedException {
    return start(ref, request(spec), out);
  }

  @Override
  public GuestProcess shell(String ref, Pty pty, OutputSink out) throws InterruptedException {
    return start(ref, ExecRequest.loginShell(pty(pty)), out);
  }

  /** {@code request} in the running VM's guest, its input through the returned handle. */
  private GuestProcess start(String ref, ExecRequest request, OutputSink out)
      throws InterruptedException {
    Vm vm = runningVm(ref);
    GuestTarget target = route.target(vm);
    try {
      return LocalGuestProcess.start(
          stdin -> exec.start(target, request, stdin, sinkStream(out, 1), sinkStream(out, 2)));
    } catch (GuestSshException e) {
      throw LocalGuestProcess.failure(e);
    }
  }

  private static ExecRequest request(ExecSpec spec) {
    return new ExecRequest(spec.argv(), spec.env(), spec.cwd(), spec.pty().map(GuestRpc::pty));
  }

  private static ExecRequest.Pty pty(Pty pty) {
    return new ExecRequest.Pty(pty.term(), pty.cols(), pty.rows());
  }

  private static OutputStream sinkStream(OutputSink sink, int fd) {
    return new OutputStream() {
      @Override
      public void write(int b) {
        sink.output(fd, new byte[] {(byte) b});
      }

      @Override
      public void write(byte[] b, int off, int len) {
        if (len > 0) {
          sink.output(fd, Arrays.copyOfRange(b, off, off + len));
        }
      }
    };
  }

  private Vm runningVm(Params params) {
    return runningVm(params.string("vm"));
  }

  private Vm runningVm(String ref) {
    Vm vm = vms.find(ref);
    if (vm.state() != VmState.RUNNING) {
      throw HearthException.preconditionFailed(
          "VM "
              + vm.name()
              + " is "
              + vm.state().wireName()
              + ", not running; start it with `hearth vm start "
              + vm.name()
              + "`");
    }
    return vm;
  }

  private static ExecRequest.Pty pty(Params params) {
    int cols = (int) params.longValue("cols", 80, 1, 65535);
    int rows = (int) params.longValue("rows", 24, 1, 65535);
    String term = params.optionalString("term").orElse(DEFAULT_TERM);
    try {
      return new ExecRequest.Pty(term, cols, rows);
    } catch (IllegalArgumentException e) {
      throw params.invalid("term", e.getMessage());
    }
  }

  private static List<String> strings(Params params, String field) {
    Optional<JsonNode> node = params.node(field);
    if (node.isEmpty()) {
      throw HearthException.invalid(params.method() + " needs the param '" + field + "'");
    }
    if (!node.get().isArray()) {
      throw params.invalid(field, "must be an array of strings");
    }
    List<String> values = new ArrayList<>();
    for (JsonNode item : node.get()) {
      if (!item.isTextual()) {
        throw params.invalid(field, "must hold strings only; got " + Wire.abbreviate(item));
      }
      values.add(item.textValue());
    }
    return values;
  }

  private static Map<String, String> env(Params params) {
    Map<String, String> env = new LinkedHashMap<>();
    Optional<JsonNode> node = params.node("env");
    if (node.isEmpty()) {
      return env;
    }
    if (!node.get().isObject()) {
      throw params.invalid("env", "must be an object of names to string values");
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.get().properties().iterator();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!field.getValue().isTextual()) {
        throw params.invalid(
            "env", "the value of " + Wire.abbreviate(field.getKey()) + " must be a string");
      }
      env.put(field.getKey(), field.getValue().textValue());
    }
    return env;
  }
}

package dev.hearth.daemon.internal.guest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.VmState;
import dev.hearth.daemon.internal.rpc.GuestMethods;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmService;
import dev.hearth.session.ExecRequest;
import dev.hearth.session.GuestCopy;
import dev.hearth.session.GuestExec;
import dev.hearth.session.GuestSshException;
import dev.hearth.session.GuestSshTimeoutException;
import dev.hearth.session.GuestTarget;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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
 * guest with the request's stream as its stdin, stdout and stderr, the exit code out.
 */
public final class GuestRpc implements GuestMethods {
  /** TERM when the client gives none. */
  static final String DEFAULT_TERM = "xterm-256color";

  /** Most bytes of a copy script's messages kept for the error. */
  private static final int MESSAGE_CAP = 64 * 1024;

  private final VmService vms;
  private final GuestRoute route;
  private final GuestExec exec;

  public GuestRpc(VmService vms, GuestRoute route, GuestExec exec) {
    this.vms = vms;
    this.route = route;
    this.exec = exec;
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
   * {@code path} comes back as such a tar on fd 1.
   */
  @Override
  public JsonNode copy(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "direction", "path", "name"));
    String direction = params.string("direction");
    String path = params.string("path");
    if (path.isEmpty() || path.indexOf('\0') >= 0) {
      throw params.invalid("path", "give a non-empty path without NUL characters");
    }
    Vm vm = runningVm(params);
    RequestStream stream = params.stream();
    ByteArrayOutputStream messages = new ByteArrayOutputStream();
    OutputStream capped = new CappedOutputStream(messages, MESSAGE_CAP);
    int code;
    long[] bytes = {0};
    switch (direction) {
      case "to_guest":
        String name = params.string("name");
        if (name.isEmpty()
            || name.equals(".")
            || name.equals("..")
            || name.contains("/")
            || name.indexOf('\0') >= 0) {
          throw params.invalid("name", "must be one file name (no '/', not '.' or '..')");
        }
        code =
            run(
                vm,
                stream,
                GuestCopy.unpack(path, name),
                counting(stream.input(), bytes),
                capped,
                capped);
        break;
      case "from_guest":
        code =
            run(
                vm,
                stream,
                GuestCopy.pack(path),
                InputStream.nullInputStream(),
                counting(stream.output(1), bytes),
                capped);
        break;
      default:
        throw params.invalid("direction", "must be \"to_guest\" or \"from_guest\"");
    }
    if (code != 0) {
      throw copyFailed(vm, code, messages.toString(StandardCharsets.UTF_8).trim());
    }
    return Wire.object().put("bytes", bytes[0]);
  }

  private HearthException copyFailed(Vm vm, int code, String message) {
    String where = " in VM " + vm.name();
    String text = message.isEmpty() ? "exit code " + code : message;
    if (code == GuestCopy.SOURCE_MISSING || code == GuestCopy.DESTINATION_MISSING) {
      return HearthException.notFound(text + where);
    }
    if (code == GuestCopy.WRONG_KIND) {
      return HearthException.preconditionFailed(text + where);
    }
    return HearthException.hostError(
        "copying" + where + " failed (exit code " + code + "): " + Wire.abbreviate(text));
  }

  /**
   * Runs the request in the VM's guest with the given streams; the request's stream cancels it when
   * the client goes, and resizes its terminal.
   */
  private int run(
      Vm vm,
      RequestStream stream,
      ExecRequest request,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr)
      throws InterruptedException {
    GuestTarget target = route.target(vm);
    try (GuestExec.Execution execution = exec.start(target, request, stdin, stdout, stderr)) {
      stream.onCancel(execution::close);
      stream.onResize(execution::resize);
      return execution.await();
    } catch (GuestSshTimeoutException e) {
      throw HearthException.timeout(e.getMessage());
    } catch (GuestSshException e) {
      throw HearthException.hostError(
          stream.cancelled() ? "the client went away: " + e.getMessage() : e.getMessage());
    }
  }

  /**
   * The typed API's exec: the command with no input and no terminal, its output to {@code out}.
   *
   * @return the exit code
   */
  public int exec(String ref, ExecSpec spec, OutputSink out) throws InterruptedException {
    Vm vm = runningVm(ref);
    ExecRequest request = new ExecRequest(spec.argv(), spec.env(), spec.cwd(), Optional.empty());
    try (GuestExec.Execution execution =
        exec.start(
            route.target(vm),
            request,
            InputStream.nullInputStream(),
            sinkStream(out, 1),
            sinkStream(out, 2))) {
      return execution.await();
    } catch (GuestSshTimeoutException e) {
      throw HearthException.timeout(e.getMessage());
    } catch (GuestSshException e) {
      throw HearthException.hostError(e.getMessage());
    }
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

  private static InputStream counting(InputStream in, long[] count) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          count[0]++;
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          count[0] += n;
        }
        return n;
      }
    };
  }

  private static OutputStream counting(OutputStream out, long[] count) {
    return new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        count[0] += len;
      }
    };
  }

  /** Keeps the first {@code cap} bytes written and drops the rest. */
  private static final class CappedOutputStream extends OutputStream {
    private final ByteArrayOutputStream to;
    private final int cap;

    CappedOutputStream(ByteArrayOutputStream to, int cap) {
      this.to = to;
      this.cap = cap;
    }

    @Override
    public synchronized void write(int b) {
      if (to.size() < cap) {
        to.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      to.write(b, off, Math.min(len, Math.max(0, cap - to.size())));
    }
  }
}

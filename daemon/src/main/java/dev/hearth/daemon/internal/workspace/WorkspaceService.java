package dev.hearth.daemon.internal.workspace;

import dev.hearth.core.Clock;
import dev.hearth.core.Store;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.internal.guest.GuestRoute;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.OpState;
import dev.hearth.opstate.Registry;
import dev.hearth.session.Cancellation;
import dev.hearth.session.ExecRequest;
import dev.hearth.session.GuestExec;
import dev.hearth.session.GuestSshException;
import dev.hearth.session.GuestSshTimeoutException;
import dev.hearth.workspace.GuestStatus;
import dev.hearth.workspace.WorkspaceNames;
import dev.hearth.workspace.WorkspaceScriptException;
import dev.hearth.workspace.WorkspaceScripts;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Function;

/**
 * The daemon's side of workspaces: runs the workspace module's scripts in a VM's guest over SSH,
 * keeps the {@code workspaces} table, and runs imports and exports as operations (on the calling
 * thread, which streams the bundle). A VM's workspaces are forgotten when it is deleted ({@link
 * #hook}).
 */
public final class WorkspaceService {
  /** Most bytes of a script's stderr kept for its error message. */
  private static final int STDERR_CAP = 64 * 1024;

  private final Function<String, Vm> vms;
  private final GuestRoute route;
  private final GuestExec exec;
  private final WorkspaceRows rows;
  private final Clock clock;
  private final Registry<WorkspaceOp> ops;
  private final String guestRoot;

  /**
   * @param vms finds a VM by name or id prefix ({@code not_found} otherwise)
   * @param guestRoot the guest folder that holds workspaces ({@link WorkspaceScripts#ROOT})
   */
  public WorkspaceService(
      Function<String, Vm> vms,
      GuestRoute route,
      GuestExec exec,
      Store store,
      Clock clock,
      Registry<WorkspaceOp> ops,
      String guestRoot) {
    this.vms = vms;
    this.guestRoot = guestRoot;
    this.route = route;
    this.exec = exec;
    this.rows = new WorkspaceRows(store);
    this.clock = clock;
    this.ops = ops;
  }

  /** Forgets a deleted VM's workspaces. */
  public VmHook hook() {
    return new VmHook() {
      @Override
      public String name() {
        return "workspaces";
      }

      @Override
      public void deleted(Vm vm) {
        rows.deleteAll(vm.id());
      }
    };
  }

  /** What the import of one repository needs besides its bundle. */
  public record ImportRequest(
      String vm, String name, String branch, String head, Path hostPath, long size) {}

  /**
   * Runs the import script with {@code bundle} as its input, as a {@code workspace.import}
   * operation, and records the workspace.
   */
  public Workspace importBundle(ImportRequest request, InputStream bundle, Cancellation cancel)
      throws InterruptedException {
    Vm vm = runningVm(request.vm());
    String name = checkName(request.name());
    if (rows.find(vm.id(), vm.name(), name).isPresent()) {
      throw HearthException.conflict(
          "VM " + vm.name() + " has a workspace named '" + name + "' already");
    }
    String guestPath = WorkspaceScripts.guestPath(guestRoot, name);
    Workspace[] made = new Workspace[1];
    run(
        new WorkspaceOp(WorkspaceOp.IMPORT, vm.name(), name),
        op -> {
          op.stage("copy", 0);
          InputStream counted = progress(bundle, request.size(), op::progress);
          script(
              vm,
              "import",
              name,
              WorkspaceScripts.importTo(guestPath, request.branch()),
              counted,
              OutputStream.nullOutputStream(),
              cancel);
          op.stage("record");
          Workspace w =
              new Workspace(
                  vm.name(),
                  name,
                  guestPath,
                  request.hostPath(),
                  request.branch(),
                  request.head(),
                  clock.now().truncatedTo(ChronoUnit.MILLIS));
          if (!rows.insert(vm.id(), w)) {
            throw HearthException.conflict(
                "VM " + vm.name() + " has a workspace named '" + name + "' already");
          }
          made[0] = w;
          return name;
        });
    return made[0];
  }

  public List<Workspace> list(String vmRef) {
    Vm vm = vms.apply(vmRef);
    return rows.list(vm.id(), vm.name());
  }

  public Workspace find(String vmRef, String name) {
    Vm vm = vms.apply(vmRef);
    return find(vm, name);
  }

  /** The status script's report on the workspace. */
  public GuestStatus status(String vmRef, String name) throws InterruptedException {
    Vm vm = runningVm(vmRef);
    Workspace w = find(vm, name);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    script(
        vm,
        "status",
        name,
        WorkspaceScripts.status(w.guestPath(), w.baseCommit()),
        InputStream.nullInputStream(),
        capped(out, GuestStatus.MAX_BYTES + 1L),
        Cancellation.never());
    try {
      return GuestStatus.parse(out.toByteArray());
    } catch (RuntimeException e) {
      throw HearthException.hostError("workspace status of '" + name + "': " + e.getMessage());
    }
  }

  /**
   * Runs the export script as a {@code workspace.export} operation, its bundle to {@code out} (at
   * most {@link WorkspaceScripts#MAX_EXPORT_BYTES}: a guest sending more is cut off).
   *
   * @return the bundle's size
   */
  public long exportBundle(
      String vmRef, String name, boolean includeUncommitted, OutputStream out, Cancellation cancel)
      throws InterruptedException {
    Vm vm = runningVm(vmRef);
    Workspace w = find(vm, name);
    long[] bytes = {0};
    run(
        new WorkspaceOp(WorkspaceOp.EXPORT, vm.name(), name),
        op -> {
          op.stage("bundle");
          OutputStream counted =
              new FilterOutputStream(capped(out, WorkspaceScripts.MAX_EXPORT_BYTES)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                  out.write(b, off, len);
                  bytes[0] += len;
                }
              };
          script(
              vm,
              "export",
              name,
              WorkspaceScripts.export(w.guestPath(), w.baseCommit(), includeUncommitted),
              InputStream.nullInputStream(),
              counted,
              cancel);
          return name;
        });
    return bytes[0];
  }

  private Workspace find(Vm vm, String name) {
    return rows.find(vm.id(), vm.name(), name)
        .orElseThrow(
            () ->
                HearthException.notFound(
                    "VM " + vm.name() + " has no workspace named '" + name + "'"));
  }

  /** The op's work, whose failure is rethrown as it was (its kind kept). */
  private interface Work {
    String run(WorkspaceOp op) throws Exception;
  }

  private void run(WorkspaceOp op, Work work) throws InterruptedException {
    RuntimeException[] failure = new RuntimeException[1];
    OpSnapshot end =
        ops.run(
            op,
            o -> {
              try {
                return work.run(o);
              } catch (RuntimeException e) {
                failure[0] = e;
                throw e;
              }
            });
    if (failure[0] != null) {
      throw failure[0];
    }
    if (Thread.interrupted()) {
      throw new InterruptedException(op.kind() + " was interrupted");
    }
    if (end.state() != OpState.SUCCEEDED) {
      throw HearthException.hostError(
          op.kind()
              + " "
              + op.target()
              + " ended "
              + end.state().name().toLowerCase(java.util.Locale.ROOT)
              + end.error().map(e -> ": " + e.message()).orElse(""));
    }
  }

  private void script(
      Vm vm,
      String step,
      String name,
      ExecRequest request,
      InputStream in,
      OutputStream out,
      Cancellation cancel)
      throws InterruptedException {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      code = exec.run(route.target(vm), request, in, out, capped(err, STDERR_CAP), cancel);
    } catch (GuestSshTimeoutException e) {
      throw HearthException.timeout(e.getMessage());
    } catch (GuestSshException e) {
      throw HearthException.hostError(
          (cancel.cancelled() ? "the client went away: " : "") + e.getMessage());
    }
    if (code != 0) {
      WorkspaceScriptException e =
          WorkspaceScripts.failure(
              step, name, vm.name(), code, err.toString(StandardCharsets.UTF_8));
      throw switch (e.kind()) {
        case EXISTS -> HearthException.conflict(e.getMessage());
        case MISSING -> HearthException.notFound(e.getMessage());
        case NO_GIT, NOTHING -> HearthException.preconditionFailed(e.getMessage());
        case OTHER -> HearthException.hostError(e.getMessage());
      };
    }
  }

  private Vm runningVm(String ref) {
    Vm vm = vms.apply(ref);
    if (vm.state() != VmState.RUNNING) {
      throw HearthException.preconditionFailed(
          "VM " + vm.name() + " is " + vm.state().wireName() + ", not running");
    }
    return vm;
  }

  private static String checkName(String name) {
    try {
      return WorkspaceNames.check(name);
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid(e.getMessage());
    }
  }

  /** Writes on to {@code out} until {@code max} bytes, then fails the write. */
  static OutputStream capped(OutputStream out, long max) {
    return new FilterOutputStream(out) {
      private long written;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (written + len > max) {
          throw new IOException("the guest sent more than " + max + " bytes");
        }
        written += len;
        out.write(b, off, len);
      }
    };
  }

  private static InputStream progress(
      InputStream in, long size, java.util.function.IntConsumer percent) {
    return new FilterInputStream(in) {
      private long read;
      private int shown = -1;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0 && size > 0) {
          read += n;
          int p = (int) Math.min(99, read * 100 / size);
          if (p != shown) {
            shown = p;
            percent.accept(p);
          }
        }
        return n;
      }
    };
  }
}

package dev.hearth.cli;

import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.ImageBuilding;
import dev.hearth.daemon.ImageDetails;
import dev.hearth.daemon.ImageRegistration;
import dev.hearth.daemon.Images;
import dev.hearth.daemon.ImportProgress;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.Operation;
import dev.hearth.daemon.Ops;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.Pty;
import dev.hearth.daemon.SessionAttachment;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionList;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionStarted;
import dev.hearth.daemon.Sessions;
import dev.hearth.daemon.VersionInfo;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmCreation;
import dev.hearth.daemon.VmDetails;
import dev.hearth.daemon.VmEgress;
import dev.hearth.daemon.VmSpec;
import dev.hearth.daemon.Vms;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.WorkspaceExport;
import dev.hearth.daemon.WorkspaceExported;
import dev.hearth.daemon.WorkspaceImport;
import dev.hearth.daemon.WorkspaceStatus;
import dev.hearth.daemon.Workspaces;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The {@link Hearth} the CLI's tests run the commands against: each method answers what the test
 * scripted for it (a typed function), or fails the test when nothing is scripted. Records every
 * call, by the name of the daemon method it stands for, with its arguments.
 */
final class FakeHearth implements Hearth, HearthConnector {
  /** One call as the command made it. */
  record Call(String method, List<Object> args) {
    Object arg(int i) {
      return args.get(i);
    }
  }

  // ---- the answers a test scripts (null: not expected) ----
  Supplier<VersionInfo> version;
  Supplier<DoctorReport> doctor;

  Function<VmSpec, VmCreation> create;
  Supplier<List<Vm>> vmList;
  Function<String, VmDetails> vmShow;
  BiFunction<String, Optional<String>, VmEgress> vmEgress;
  Function<String, Vm> vmStart;
  BiFunction<String, Optional<Duration>, Vm> vmStop;
  Function<String, Vm> vmKill;
  BiFunction<String, Boolean, String> vmDelete;
  BiFunction<String, OptionalLong, byte[]> vmLogs;

  /** The chunks {@code vm logs --follow} hands on, in order. */
  BiFunction<String, OptionalLong, List<byte[]>> vmFollowLogs;

  /** A workspace import: may report progress before it answers. */
  BiFunction<WorkspaceImport, ImportProgress, Workspace> workspaceImport;

  /** What the guest does with a started command; its exit code. */
  ToIntFunction<FakeProcess> vmExec;

  ToIntFunction<FakeProcess> vmShell;

  /** A copy into the guest, given the tar it received; the size it answers. */
  Function<byte[], Long> vmCopyIn;

  /** A copy out of the guest as a raw tar: the tar it sends. */
  Supplier<byte[]> vmCopyOut;

  /** A copy out of the guest to a host path, given the destination: what it wrote. */
  Function<Path, CopiedOut> vmCopyOutTo;

  Supplier<List<Op>> opList;
  Function<String, Op> opShow;
  Function<String, Op> opCancel;
  BiFunction<String, Consumer<Op>, Op> opWatch;

  Function<ImageRegistration, Image> imageRegister;
  Supplier<List<Image>> imageList;
  Function<String, ImageDetails> imageShow;
  Function<String, String> imageDelete;
  BiFunction<String, String, Image> imagePromote;
  Function<ImageBuildSpec, Op> imageBuild;

  Function<SessionStart, SessionStarted> sessionStart;
  Function<Optional<String>, SessionList> sessionList;

  /** Given the data and eof; the bytes written. */
  BiFunction<byte[], Boolean, Integer> sessionWrite;

  Function<Optional<String>, String> sessionKill;
  Supplier<SessionEnd> sessionAwait;

  /** Given where its output goes. */
  Function<OutputSink, SessionOutput> sessionLogs;

  Function<FakeProcess, Optional<SessionOutput>> sessionAttach;

  private final List<Call> calls = new ArrayList<>();
  private final FakeVms vms = new FakeVms();
  private final FakeOps ops = new FakeOps();
  private final FakeImages images = new FakeImages();
  private final FakeSessions sessions = new FakeSessions();
  private final FakeWorkspaces workspaces = new FakeWorkspaces();
  private int opened;
  private int closed;

  @Override
  public Hearth connect(Path socket) {
    synchronized (this) {
      opened++;
    }
    return this;
  }

  /** Every call made, in order. */
  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The methods called, in order. */
  List<String> methods() {
    return calls().stream().map(Call::method).toList();
  }

  /** The only call of {@code method}. */
  Call callOf(String method) {
    List<Call> matching = calls().stream().filter(c -> c.method().equals(method)).toList();
    if (matching.size() != 1) {
      throw new AssertionError(method + " was called " + matching.size() + " times: " + calls());
    }
    return matching.get(0);
  }

  /** Every connection the commands opened was closed. */
  synchronized boolean allClosed() {
    return opened == closed;
  }

  /** A {@link VmCreation} whose operation this fake's ops follow. */
  VmCreation creation(Vm vm, Op op) {
    return new VmCreation(vm, op, operation(op, end -> vm));
  }

  /** An {@link ImageBuilding} whose operation this fake's ops follow. */
  <T> Operation<T> operation(Op op, Function<Op, T> result) {
    return new Operation<>() {
      @Override
      public String id() {
        return op.id();
      }

      @Override
      public Op snapshot() {
        return ops.show(op.id());
      }

      @Override
      public Op watch(Consumer<Op> progress) {
        return ops.watch(op.id(), progress);
      }

      @Override
      public T await() {
        Op end = watch(p -> {});
        if (end.failure().isPresent()) {
          throw end.failure().get();
        }
        return result.apply(end);
      }

      @Override
      public Op cancel() {
        return ops.cancel(op.id());
      }
    };
  }

  private synchronized <T> T answer(String method, T answer, Object... args) {
    calls.add(new Call(method, Arrays.asList(args)));
    if (answer == null) {
      throw new AssertionError("unexpected call " + method + " " + Arrays.toString(args));
    }
    return answer;
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
  public VersionInfo version() {
    return answer("daemon.version", version).get();
  }

  @Override
  public DoctorReport doctor() {
    return answer("daemon.doctor", doctor).get();
  }

  @Override
  public void ping() {
    calls.add(new Call("daemon.ping", List.of()));
  }

  @Override
  public synchronized void close() {
    closed++;
  }

  private final class FakeVms implements Vms {
    @Override
    public VmCreation create(VmSpec spec) {
      return answer("vm.create", create, spec).apply(spec);
    }

    @Override
    public List<Vm> list() {
      return answer("vm.list", vmList).get();
    }

    @Override
    public VmDetails show(String vm) {
      return answer("vm.show", vmShow, vm).apply(vm);
    }

    @Override
    public VmEgress egress(String vm) {
      return answer("vm.egress", vmEgress, vm).apply(vm, Optional.empty());
    }

    @Override
    public VmEgress setEgress(String vm, String policy) {
      return answer("vm.egress", vmEgress, vm, policy).apply(vm, Optional.of(policy));
    }

    @Override
    public Vm start(String vm) {
      return answer("vm.start", vmStart, vm).apply(vm);
    }

    @Override
    public Vm stop(String vm, Optional<Duration> timeout) {
      return answer("vm.stop", vmStop, vm, timeout).apply(vm, timeout);
    }

    @Override
    public Vm kill(String vm) {
      return answer("vm.kill", vmKill, vm).apply(vm);
    }

    @Override
    public String delete(String vm, boolean force) {
      return answer("vm.delete", vmDelete, vm, force).apply(vm, force);
    }

    @Override
    public byte[] logs(String vm, OptionalLong tail) {
      return answer("vm.logs", vmLogs, vm, tail).apply(vm, tail);
    }

    @Override
    public void followLogs(String vm, OptionalLong tail, Consumer<byte[]> data) {
      answer("vm.logs --follow", vmFollowLogs, vm, tail).apply(vm, tail).forEach(data);
    }

    @Override
    public int exec(String vm, ExecSpec spec, OutputSink out) {
      throw new AssertionError("unexpected call vm.exec " + vm + " " + spec);
    }

    @Override
    public GuestProcess start(String vm, ExecSpec spec, OutputSink out) {
      return new FakeProcess(out, answer("vm.exec", vmExec, vm, spec));
    }

    @Override
    public GuestProcess shell(String vm, Pty pty, OutputSink out) {
      return new FakeProcess(out, answer("vm.shell", vmShell, vm, pty));
    }

    @Override
    public long copyIn(String vm, String path, String name, InputStream tar) {
      Function<byte[], Long> copy = answer("vm.copy to_guest", vmCopyIn, vm, path, name);
      try (tar) {
        return copy.apply(tar.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public long copyOut(String vm, String path, OutputStream tar) {
      byte[] archive = answer("vm.copy from_guest", vmCopyOut, vm, path).get();
      try {
        tar.write(archive);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return archive.length;
    }

    @Override
    public CopiedOut copyOut(String vm, String path, Path destination, CopyLimits limits) {
      return answer("vm.copy from_guest", vmCopyOutTo, vm, path, destination, limits)
          .apply(destination);
    }
  }

  private final class FakeWorkspaces implements Workspaces {
    @Override
    public Workspace importRepository(WorkspaceImport spec, ImportProgress progress) {
      return answer("workspace.import", workspaceImport, spec).apply(spec, progress);
    }

    @Override
    public List<Workspace> list(String vm) {
      throw new AssertionError("unexpected call workspace.list " + vm);
    }

    @Override
    public WorkspaceStatus status(String vm, String name) {
      throw new AssertionError("unexpected call workspace.status " + vm + " " + name);
    }

    @Override
    public WorkspaceExported export(WorkspaceExport spec) {
      throw new AssertionError("unexpected call workspace.export " + spec);
    }
  }

  private final class FakeOps implements Ops {
    @Override
    public List<Op> list() {
      return answer("op.list", opList).get();
    }

    @Override
    public Op show(String op) {
      return answer("op.show", opShow, op).apply(op);
    }

    @Override
    public Op cancel(String op) {
      return answer("op.cancel", opCancel, op).apply(op);
    }

    @Override
    public Op watch(String op, Consumer<Op> progress) {
      return answer("op.watch", opWatch, op).apply(op, progress);
    }
  }

  private final class FakeImages implements Images {
    @Override
    public Image register(ImageRegistration registration) {
      return answer("image.register", imageRegister, registration).apply(registration);
    }

    @Override
    public List<Image> list() {
      return answer("image.list", imageList).get();
    }

    @Override
    public ImageDetails show(String name) {
      return answer("image.show", imageShow, name).apply(name);
    }

    @Override
    public String delete(String name) {
      return answer("image.delete", imageDelete, name).apply(name);
    }

    @Override
    public Image promote(String vm, String name) {
      return answer("image.promote", imagePromote, vm, name).apply(vm, name);
    }

    @Override
    public ImageBuilding build(ImageBuildSpec spec) {
      Op op = answer("image.build", imageBuild, spec).apply(spec);
      return new ImageBuilding(op, operation(op, end -> images.show(spec.name()).image()));
    }
  }

  private final class FakeSessions implements Sessions {
    @Override
    public SessionStarted start(SessionStart start) {
      return answer("session.start", sessionStart, start).apply(start);
    }

    @Override
    public SessionList list(Optional<String> vm) {
      return answer("session.list", sessionList, vm).apply(vm);
    }

    @Override
    public int write(String vm, String session, byte[] data, boolean eof) {
      return answer("session.write", sessionWrite, vm, session, data, eof).apply(data, eof);
    }

    @Override
    public String kill(String vm, String session, Optional<String> signal) {
      return answer("session.kill", sessionKill, vm, session, signal).apply(signal);
    }

    @Override
    public SessionEnd await(String vm, String session) {
      return answer("session.wait", sessionAwait, vm, session).get();
    }

    @Override
    public SessionOutput logs(
        String vm, String session, long from, boolean follow, OutputSink out) {
      return answer("session.logs", sessionLogs, vm, session, from, follow).apply(out);
    }

    @Override
    public SessionAttachment attach(String vm, String session, long from, OutputSink out) {
      return FakeProcess.attachment(
          out, answer("session.attach", sessionAttach, vm, session, from));
    }
  }
}

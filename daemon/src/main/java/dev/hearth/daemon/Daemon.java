package dev.hearth.daemon;

import dev.hearth.core.Clock;
import dev.hearth.core.Config;
import dev.hearth.core.FileSync;
import dev.hearth.core.HostProbe;
import dev.hearth.core.Layout;
import dev.hearth.core.LinuxHostProbe;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import dev.hearth.core.Store;
import dev.hearth.core.rpc.PeerAuthorizer;
import dev.hearth.core.rpc.RpcServer;
import dev.hearth.core.rpc.SupplementaryGroups;
import dev.hearth.daemon.internal.guest.GuestRoute;
import dev.hearth.daemon.internal.imagebuild.ImageBuildOp;
import dev.hearth.daemon.internal.rpc.RpcHandler;
import dev.hearth.daemon.internal.session.LocalSessions;
import dev.hearth.daemon.internal.session.SessionService;
import dev.hearth.daemon.internal.vm.CreateOp;
import dev.hearth.daemon.internal.vm.StageBarrier;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.daemon.internal.vm.VmService;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.net.EgressRules;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.imagemgr.GuestIdentity;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.OpstateException;
import dev.hearth.opstate.Registry;
import dev.hearth.session.GuestPowerOff;
import dev.hearth.session.GuestScripts;
import dev.hearth.session.MinaGuestDialer;
import dev.hearth.session.SessionLayout;
import dev.hearth.session.SshWaiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hearth daemon: owns a state folder and a runtime folder, and serves the RPC protocol on the
 * runtime folder's socket. {@link #open} takes the runtime folder's lock, so that one daemon serves
 * it; {@link #serve()} accepts clients until {@link #close()}. It is also the in-process {@link
 * Hearth} ({@link Hearth#open} opens one without a socket), and its RPC methods adapt the same
 * {@link Vms} and {@link Ops} objects, so in-process and socket callers see one behaviour. Opening
 * is {@link DaemonAssembly}'s, with {@link DaemonServices} and {@link DaemonSocket}.
 */
public final class Daemon implements Hearth {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /**
   * What tests replace: the OS, time, peer authorisation, extra RPC methods, the VM lifecycle's
   * host network and guest seams (empty: the real ones from the config), the image builds' runner,
   * where the VMM is looked for, the fsync before rows are committed (ARCHITECTURE.md,
   * "Durability"), the host's capacity for the {@code auto} limits, the egress rules and the stage
   * barrier.
   */
  record Seams(
      Posix posix,
      Clock clock,
      SupplementaryGroups supplementaryGroups,
      Optional<PeerAuthorizer> peerAuthorizer,
      Map<String, RpcHandler> extraHandlers,
      Optional<HostNetwork> hostNetwork,
      Optional<GuestIdentity> guestIdentity,
      Optional<SshWaiter> sshWaiter,
      Optional<GuestPowerOff> guestPowerOff,
      List<VmHook> vmHooks,
      Optional<GuestRoute> guestRoute,
      Optional<GuestScripts> guestScripts,
      Optional<SessionLayout> sessionLayout,
      Optional<Runner> imageBuildRunner,
      VmmSelector vmmSelector,
      FileSync fileSync,
      HostProbe hostProbe,
      Optional<EgressRules> egressRules,
      StageBarrier stageBarrier) {

    static Seams system() {
      return new Seams(
          Posix.system(),
          Clock.system(),
          SupplementaryGroups.fromProc(Path.of("/proc")),
          Optional.empty(),
          Map.of(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          List.of(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          VmmSelector.system(),
          FileSync.system(),
          LinuxHostProbe.system(),
          Optional.empty(),
          StageBarrier.NONE);
    }

    Seams withPosix(Posix replacement) {
      return edit(s -> s.posix = replacement);
    }

    Seams withPeerAuthorizer(PeerAuthorizer replacement) {
      return edit(s -> s.peerAuthorizer = Optional.of(replacement));
    }

    Seams withHandler(String method, RpcHandler handler) {
      return edit(s -> s.extraHandlers.put(method, handler));
    }

    Seams withVmHook(VmHook hook) {
      return edit(s -> s.vmHooks.add(hook));
    }

    Seams withGuestPowerOff(GuestPowerOff powerOff) {
      return edit(s -> s.guestPowerOff = Optional.of(powerOff));
    }

    /** Where the guest dial goes for a VM: exec, shell and copy reach this address instead. */
    Seams withGuestRoute(GuestRoute route) {
      return edit(s -> s.guestRoute = Optional.of(route));
    }

    Seams withGuestScripts(GuestScripts scripts) {
      return edit(s -> s.guestScripts = Optional.of(scripts));
    }

    /** Where the real guest scripts keep session state (a guest standing in for a VM shares it). */
    Seams withSessionLayout(SessionLayout layout) {
      return edit(s -> s.sessionLayout = Optional.of(layout));
    }

    /** Where firecracker, the QEMU launcher and a usable KVM are looked for. */
    Seams withImageBuildRunner(Runner runner) {
      return edit(s -> s.imageBuildRunner = Optional.of(runner));
    }

    Seams withVmmSelector(VmmSelector selector) {
      return edit(s -> s.vmmSelector = selector);
    }

    /** How files and folders are synced before the rows that own them are committed. */
    Seams withFileSync(FileSync sync) {
      return edit(s -> s.fileSync = sync);
    }

    /** What the host has (RAM, CPUs, the state filesystem), for the {@code auto} limits. */
    Seams withHostProbe(HostProbe probe) {
      return edit(s -> s.hostProbe = probe);
    }

    /**
     * The nft side of the VMs' egress policies (empty: the real one, or none with a fake network).
     */
    Seams withEgressRules(EgressRules rules) {
      return edit(s -> s.egressRules = Optional.of(rules));
    }

    /** Where create stages, lifecycle changes and image operations may be held (crash tests). */
    Seams withStageBarrier(StageBarrier barrier) {
      return edit(s -> s.stageBarrier = barrier);
    }

    Seams withHostNetwork(HostNetwork network) {
      return edit(s -> s.hostNetwork = Optional.of(network));
    }

    Seams withVm(HostNetwork network, GuestIdentity identity, SshWaiter waiter) {
      return edit(
          s -> {
            s.hostNetwork = Optional.of(network);
            s.guestIdentity = Optional.of(identity);
            s.sshWaiter = Optional.of(waiter);
          });
    }

    /** A copy with one change, made on a mutable twin so that each wither names only its field. */
    private Seams edit(Consumer<Draft> change) {
      Draft draft = new Draft(this);
      change.accept(draft);
      return draft.build();
    }

    private static final class Draft {
      Posix posix;
      Clock clock;
      SupplementaryGroups supplementaryGroups;
      Optional<PeerAuthorizer> peerAuthorizer;
      Map<String, RpcHandler> extraHandlers;
      Optional<HostNetwork> hostNetwork;
      Optional<GuestIdentity> guestIdentity;
      Optional<SshWaiter> sshWaiter;
      Optional<GuestPowerOff> guestPowerOff;
      List<VmHook> vmHooks;
      Optional<GuestRoute> guestRoute;
      Optional<GuestScripts> guestScripts;
      Optional<SessionLayout> sessionLayout;
      Optional<Runner> imageBuildRunner;
      VmmSelector vmmSelector;
      FileSync fileSync;
      HostProbe hostProbe;
      Optional<EgressRules> egressRules;
      StageBarrier stageBarrier;

      Draft(Seams from) {
        posix = from.posix;
        clock = from.clock;
        supplementaryGroups = from.supplementaryGroups;
        peerAuthorizer = from.peerAuthorizer;
        extraHandlers = new HashMap<>(from.extraHandlers);
        hostNetwork = from.hostNetwork;
        guestIdentity = from.guestIdentity;
        sshWaiter = from.sshWaiter;
        guestPowerOff = from.guestPowerOff;
        vmHooks = new ArrayList<>(from.vmHooks);
        guestRoute = from.guestRoute;
        guestScripts = from.guestScripts;
        sessionLayout = from.sessionLayout;
        imageBuildRunner = from.imageBuildRunner;
        vmmSelector = from.vmmSelector;
        fileSync = from.fileSync;
        hostProbe = from.hostProbe;
        egressRules = from.egressRules;
        stageBarrier = from.stageBarrier;
      }

      Seams build() {
        return new Seams(
            posix,
            clock,
            supplementaryGroups,
            peerAuthorizer,
            Map.copyOf(extraHandlers),
            hostNetwork,
            guestIdentity,
            sshWaiter,
            guestPowerOff,
            List.copyOf(vmHooks),
            guestRoute,
            guestScripts,
            sessionLayout,
            imageBuildRunner,
            vmmSelector,
            fileSync,
            hostProbe,
            egressRules,
            stageBarrier);
      }
    }
  }

  private final Layout layout;
  private final Store store;
  private final RuntimeDirLock lock;
  private final Optional<RpcServer> rpc;
  private final Vms vmsApi;
  private final Ops opsApi;
  private final Images imagesApi;
  private final Supplier<VersionInfo> version;
  private final Supplier<DoctorReport> doctor;
  private final Registry<CreateOp> createOps;
  private final Registry<ImageBuildOp> imageBuildOps;
  private final ScheduledExecutorService pruner;
  private final MinaGuestDialer dialer;
  private final SessionService sessions;
  private final Workspaces workspacesApi;
  private final Undo listeners;
  private final Duration shutdownGrace;
  private final AtomicBoolean serving = new AtomicBoolean();
  private final AtomicBoolean closeStarted = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);

  Daemon(
      Layout layout,
      Store store,
      RuntimeDirLock lock,
      Optional<RpcServer> rpc,
      Vms vmsApi,
      Ops opsApi,
      Images imagesApi,
      Supplier<VersionInfo> version,
      Supplier<DoctorReport> doctor,
      Registry<CreateOp> createOps,
      Registry<ImageBuildOp> imageBuildOps,
      ScheduledExecutorService pruner,
      MinaGuestDialer dialer,
      SessionService sessions,
      Workspaces workspacesApi,
      Undo listeners,
      Duration shutdownGrace) {
    this.layout = layout;
    this.store = store;
    this.lock = lock;
    this.rpc = rpc;
    this.vmsApi = vmsApi;
    this.opsApi = opsApi;
    this.imagesApi = imagesApi;
    this.version = version;
    this.doctor = doctor;
    this.createOps = createOps;
    this.imageBuildOps = imageBuildOps;
    this.pruner = pruner;
    this.dialer = dialer;
    this.sessions = sessions;
    this.workspacesApi = workspacesApi;
    this.listeners = listeners;
    this.shutdownGrace = shutdownGrace;
  }

  /**
   * Opens the daemon (folders, lock, pid file, database, the VMs reconciled with the host by {@link
   * VmService#reconcile}, the socket); on failure nothing of the daemon's own is left behind.
   *
   * @throws DaemonAlreadyRunningException when another daemon serves the runtime folder
   * @throws DaemonException naming the file when a step fails
   */
  public static Daemon open(Config config) {
    return open(config, Seams.system());
  }

  static Daemon open(Config config, Seams seams) {
    return DaemonAssembly.open(config, seams, true);
  }

  /** hearth in-process: {@link #open} without binding the socket ({@link #serve} refuses). */
  static Daemon openInProcess(Config config, Seams seams) {
    return DaemonAssembly.open(config, seams, false);
  }

  /**
   * Runs doctor's host checks (ARCHITECTURE.md, "Doctor"); needs no running daemon.
   *
   * @throws DaemonException when interrupted (the thread's interrupt flag is set again)
   */
  public static DoctorReport doctor(Config config) {
    return doctor(config, VmmSelector.system());
  }

  static DoctorReport doctor(Config config, VmmSelector vmm) {
    return DaemonDoctor.run(config, vmm);
  }

  /**
   * Accepts and serves clients until {@link #close()}, and returns once close has finished.
   *
   * @throws IllegalStateException when another thread is already serving
   * @throws InterruptedException when interrupted while accepting or waiting for close to finish
   */
  public void serve() throws InterruptedException {
    if (rpc.isEmpty()) {
      throw new IllegalStateException(
          "hearth for " + layout.runtimeDir() + " was opened in-process, without a socket");
    }
    if (!serving.compareAndSet(false, true)) {
      throw new IllegalStateException(
          "the daemon for " + layout.runtimeDir() + " is already serving");
    }
    try {
      rpc.get().acceptLoop();
      closed.await();
    } finally {
      serving.set(false);
    }
  }

  /**
   * Stops accepting, lets running requests finish within {@code shutdown_grace}, closes every
   * connection, removes the socket and the pid file, releases the lock and closes the database.
   * Idempotent and callable from any thread; a second caller waits for the first to finish.
   */
  @Override
  public void close() {
    if (!closeStarted.compareAndSet(false, true)) {
      awaitClosed();
      return;
    }
    log.info("hearth daemon stopping"); // guest calls end now, not after shutdown_grace
    dialer.calls().cancelAll("the daemon is shutting down");
    try {
      if (rpc.isPresent()) {
        rpc.get().close();
      }
      sessions.close();
      cancelRunning(createOps);
      cancelRunning(imageBuildOps);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pruner.shutdownNow();
    Deque<Undo> steps = new ArrayDeque<>();
    steps.push(lock::close);
    steps.push(store::close);
    // Closing the shared SSH client also ends every guest session it opened.
    steps.push(dialer::close);
    steps.push(() -> Files.deleteIfExists(layout.pidFile()));
    steps.push(() -> Files.deleteIfExists(layout.socket()));
    steps.push(listeners); // the VM DNS and the web UI
    DaemonException failure =
        new DaemonException("closing the daemon for " + layout.runtimeDir() + " failed");
    Undo.undoAll(steps, failure);
    closed.countDown();
    if (failure.getSuppressed().length > 0) {
      log.error("hearth daemon stopped with errors", failure);
    } else {
      log.info("hearth daemon stopped");
    }
  }

  /**
   * Cancels the registry's running ops (creates, image builds) and gives their undo up to {@code
   * shutdown_grace}; one still running after that is left to the next start (reconcile, the sweep
   * of the image staging folder).
   */
  private void cancelRunning(Registry<?> ops) throws InterruptedException {
    List<OpSnapshot> running = ops.list().stream().filter(s -> !s.finished()).toList();
    ops.close();
    long deadline = System.nanoTime() + shutdownGrace.toNanos();
    for (OpSnapshot op : running) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      try {
        ops.awaitFinish(op.id(), left);
      } catch (OpstateException e) {
        log.warn(
            "{} {} did not finish its undo before shutdown: {}",
            op.kind(),
            op.id(),
            e.getMessage());
      }
    }
  }

  @Override
  public Vms vms() {
    return vmsApi;
  }

  @Override
  public Ops ops() {
    return opsApi;
  }

  @Override
  public Images images() {
    return imagesApi;
  }

  @Override
  public Sessions sessions() {
    return new LocalSessions(sessions);
  }

  @Override
  public Workspaces workspaces() {
    return workspacesApi;
  }

  @Override
  public DoctorReport doctor() {
    return doctor.get();
  }

  @Override
  public VersionInfo version() {
    return version.get();
  }

  @Override
  public void ping() {
    if (closeStarted.get()) {
      throw new HearthException(
          HearthException.Kind.UNAVAILABLE, "hearth for " + layout.runtimeDir() + " is closed");
    }
  }

  private void awaitClosed() {
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

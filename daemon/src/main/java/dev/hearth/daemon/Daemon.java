package dev.hearth.daemon;

import dev.hearth.core.BuildInfo;
import dev.hearth.core.Clock;
import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.core.OrderedLock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.Store;
import dev.hearth.daemon.internal.doctor.Doctor;
import dev.hearth.daemon.internal.guest.GuestRoute;
import dev.hearth.daemon.internal.guest.GuestRpc;
import dev.hearth.daemon.internal.imagebuild.BuildLeftovers;
import dev.hearth.daemon.internal.imagebuild.ImageBuildOp;
import dev.hearth.daemon.internal.imagebuild.ImageBuildRpc;
import dev.hearth.daemon.internal.imagebuild.ImageBuildService;
import dev.hearth.daemon.internal.imagebuild.ImageOpsGuard;
import dev.hearth.daemon.internal.rpc.Dispatcher;
import dev.hearth.daemon.internal.rpc.GuestMethods;
import dev.hearth.daemon.internal.rpc.ImageMethods;
import dev.hearth.daemon.internal.rpc.JsonRpcProtocol;
import dev.hearth.daemon.internal.rpc.PeerAuthorizer;
import dev.hearth.daemon.internal.rpc.RpcHandler;
import dev.hearth.daemon.internal.rpc.RpcServer;
import dev.hearth.daemon.internal.rpc.SessionMethods;
import dev.hearth.daemon.internal.rpc.SocketGroupAuthorizer;
import dev.hearth.daemon.internal.rpc.SupplementaryGroups;
import dev.hearth.daemon.internal.rpc.VmMethods;
import dev.hearth.daemon.internal.session.ExecGuestScripts;
import dev.hearth.daemon.internal.session.GuestScripts;
import dev.hearth.daemon.internal.session.LocalSessions;
import dev.hearth.daemon.internal.session.SessionRpc;
import dev.hearth.daemon.internal.session.SessionService;
import dev.hearth.daemon.internal.vm.CreateOp;
import dev.hearth.daemon.internal.vm.ImageRpc;
import dev.hearth.daemon.internal.vm.ImageService;
import dev.hearth.daemon.internal.vm.LocalImages;
import dev.hearth.daemon.internal.vm.LocalOps;
import dev.hearth.daemon.internal.vm.LocalVms;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.daemon.internal.vm.VmLocks;
import dev.hearth.daemon.internal.vm.VmRpc;
import dev.hearth.daemon.internal.vm.VmService;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.dmsnap.ProvisionerChoiceException;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.Provisioners;
import dev.hearth.dmsnap.RootDiskProvisioner;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.VmmSelector;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.net.LinuxHostNetwork;
import dev.hearth.fcproc.net.NatRules;
import dev.hearth.fcproc.net.TapDevices;
import dev.hearth.fcproc.process.FirecrackerLauncher;
import dev.hearth.fcproc.process.ProcessTable;
import dev.hearth.imagemgr.DebugfsGuestIdentity;
import dev.hearth.imagemgr.GuestIdentity;
import dev.hearth.imagemgr.ImageStaging;
import dev.hearth.imagemgr.VmlinuxExtractor;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.OpStore;
import dev.hearth.opstate.OpstateException;
import dev.hearth.opstate.Registry;
import dev.hearth.session.GuestExec;
import dev.hearth.session.GuestPowerOff;
import dev.hearth.session.MinaGuestDialer;
import dev.hearth.session.MinaGuestPowerOff;
import dev.hearth.session.MinaSshWaiter;
import dev.hearth.session.SessionLayout;
import dev.hearth.session.SshKeyPair;
import dev.hearth.session.SshWaiter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hearth daemon: owns a state folder and a runtime folder, and serves the RPC protocol on the
 * runtime folder's socket. {@link #open} takes the runtime folder's lock, so that one daemon serves
 * it; {@link #serve()} accepts clients until {@link #close()}. It is also the in-process {@link
 * Hearth} ({@link Hearth#open} opens one without a socket), and its RPC methods adapt the same
 * {@link Vms} and {@link Ops} objects, so in-process and socket callers see one behaviour.
 */
public final class Daemon implements Hearth {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /**
   * What tests replace: the OS, time, peer authorisation, extra RPC methods, and the VM lifecycle's
   * host network and guest seams (empty: the real bridge, TAPs and NAT from the config, debugfs for
   * the identity stage, MINA SSH with the daemon's key for the SSH wait and the poweroff step of a
   * stop, and the VM's IP, port 22, as the guest route of exec, shell and copy), and where the VMM
   * is looked for (this process's PATH, {@code HEARTH_HOME} and /dev/kvm).
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
      VmmSelector vmmSelector) {

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
          VmmSelector.system());
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
    Seams withVmmSelector(VmmSelector selector) {
      return edit(s -> s.vmmSelector = selector);
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
      VmmSelector vmmSelector;

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
        vmmSelector = from.vmmSelector;
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
            vmmSelector);
      }
    }
  }

  /** How long connecting to a guest's SSH server for exec, shell or copy may take. */
  private static final Duration GUEST_CONNECT_TIMEOUT = Duration.ofSeconds(30);

  /** How often finished operations past their retention are pruned. */
  private static final Duration PRUNE_INTERVAL = Duration.ofMinutes(10);

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
  private final Duration shutdownGrace;
  private final AtomicBoolean serving = new AtomicBoolean();
  private final AtomicBoolean closeStarted = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);

  private Daemon(
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
    this.shutdownGrace = shutdownGrace;
  }

  /**
   * Opens the daemon: creates the state and runtime folders if needed, takes the runtime folder's
   * lock, writes the pid file, opens the database, composes the VM lifecycle and reconciles the VMs
   * with the host (see {@link VmService#reconcile}), then binds the socket. On failure nothing of
   * the daemon's own is left behind.
   *
   * @throws DaemonAlreadyRunningException when another daemon serves the runtime folder
   * @throws DaemonException naming the file when a step fails
   */
  public static Daemon open(Config config) {
    return open(config, Seams.system());
  }

  static Daemon open(Config config, Seams seams) {
    return open(config, seams, true);
  }

  /** hearth in-process: {@link #open} without binding the socket ({@link #serve} refuses). */
  static Daemon openInProcess(Config config, Seams seams) {
    return open(config, seams, false);
  }

  private static Daemon open(Config config, Seams seams, boolean listen) {
    Layout layout = Layout.of(config);
    Deque<Undo> undo = new ArrayDeque<>();
    try {
      createFolder(layout.stateDir(), "rwx------");
      createFolder(layout.runtimeDir(), "rwxr-xr-x");
      RuntimeDirLock lock = RuntimeDirLock.acquire(layout.lockFile(), layout.pidFile());
      undo.push(lock::close);
      writePidFile(layout.pidFile(), seams.posix().getpid());
      undo.push(() -> Files.deleteIfExists(layout.pidFile()));
      Store store = Store.open(layout.database());
      undo.push(store::close);
      OpStore opStore = new OpStore(store);
      List<OpSnapshot> interrupted = opStore.markInterrupted(seams.clock().now());
      if (!interrupted.isEmpty()) {
        log.warn("{} operation(s) were cut short by the last daemon stop", interrupted.size());
      }
      SshKeyPair guestKey = SshKeyPair.loadOrCreate(layout, SshKeyPair.defaultComment());
      MinaGuestDialer dialer = MinaGuestDialer.of(guestKey.keyPair());
      undo.push(dialer::close);
      GuestExec guestExec = new GuestExec(dialer, GUEST_CONNECT_TIMEOUT);
      Registry<CreateOp> createOps =
          new Registry<>(
              seams.clock(), config.operationRetention(), Set.of(CreateOp.KIND), opStore);
      undo.push(createOps::close);
      VmLocks locks = new VmLocks();
      Runner runner = new ProcessRunner(seams.posix(), seams.clock());
      // Sessions follow VMs through a hook, and look VMs up in the VM service made after it.
      AtomicReference<VmService> vmsForSessions = new AtomicReference<>();
      SessionService sessions =
          new SessionService(
              new SessionService.Vms() {
                @Override
                public Vm find(String ref) {
                  return vmsForSessions.get().find(ref);
                }

                @Override
                public List<Vm> list() {
                  return vmsForSessions.get().list();
                }
              },
              seams
                  .guestScripts()
                  .orElseGet(
                      () ->
                          new ExecGuestScripts(
                              guestExec,
                              seams.guestRoute().orElseGet(GuestRoute::vmAddress),
                              seams.sessionLayout().orElse(SessionLayout.GUEST))),
              seams.clock());
      undo.push(sessions::close);
      List<VmHook> hooks = new ArrayList<>(seams.vmHooks());
      hooks.add(sessions.hook());
      // Chosen again at each boot (firecracker installed, or KVM changed, since), and for
      // version and doctor; logged once here.
      Supplier<VmmChoice> vmm = () -> seams.vmmSelector().choose(config);
      logVmm(vmm.get());
      VmService vms =
          composeVms(config, layout, store, seams, runner, locks, createOps, dialer, hooks, vmm);
      vmsForSessions.set(vms);
      vms.reconcile();
      // Image builds sweep what a crashed build left in staging before cleanupStale deletes it.
      Registry<ImageBuildOp> imageBuildOps =
          new Registry<>(
              seams.clock(), config.operationRetention(), Set.of(ImageBuildOp.KIND), opStore);
      undo.push(imageBuildOps::close);
      ImageStaging staging =
          new ImageStaging(layout.imageStagingDir(), layout.imagesDir(), runner, seams.clock());
      ImageBuildService imageBuilds =
          composeImageBuilds(
              config, layout, seams, runner, staging, imageBuildOps, guard(locks.imageOpsLock()));
      ImageService images =
          new ImageService(layout, runner, locks, vms, staging, new VmlinuxExtractor(runner));
      images.cleanupStale();
      ScheduledExecutorService pruner = startPruner(List.of(createOps, imageBuildOps));
      undo.push(pruner::shutdownNow);
      LocalOps opsApi = new LocalOps(List.of(createOps, imageBuildOps));
      GuestRpc guests =
          new GuestRpc(vms, seams.guestRoute().orElseGet(GuestRoute::vmAddress), guestExec);
      LocalVms vmsApi = new LocalVms(vms, config, opsApi, guests);
      LocalImages imagesApi = new LocalImages(images, imageBuilds, opsApi);
      long pid = seams.posix().getpid();
      Supplier<VersionInfo> version = () -> versionInfo(pid, vmm.get());
      Optional<RpcServer> rpc = Optional.empty();
      if (listen) {
        RpcServer server =
            bindSocket(
                config,
                layout,
                seams,
                new VmRpc(vms, vmsApi, opsApi),
                new ImageBuildRpc(imageBuilds),
                new ImageRpc(imagesApi),
                guests,
                new SessionRpc(sessions),
                vmm);
        undo.push(() -> Files.deleteIfExists(layout.socket()));
        undo.push(server::close);
        secureSocket(layout.socket(), config.socketGroup(), seams.posix());
        log.info("hearth daemon (pid {}) listening on {}", pid, layout.socket());
        rpc = Optional.of(server);
      } else {
        log.info("hearth (pid {}) open in-process for {}", pid, layout.runtimeDir());
      }
      return new Daemon(
          layout,
          store,
          lock,
          rpc,
          vmsApi,
          opsApi,
          imagesApi,
          version,
          () -> doctor(config, seams.vmmSelector()),
          createOps,
          imageBuildOps,
          pruner,
          dialer,
          sessions,
          config.shutdownGrace());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      DaemonException failure = new DaemonException("opening the daemon was interrupted", e);
      undoAll(undo, failure);
      throw failure;
    } catch (RuntimeException e) {
      undoAll(undo, e);
      throw e;
    }
  }

  /** The VM lifecycle's parts: locks, disks, host network, firecracker, guest seams. */
  private static VmService composeVms(
      Config config,
      Layout layout,
      Store store,
      Seams seams,
      Runner runner,
      VmLocks locks,
      Registry<CreateOp> createOps,
      MinaGuestDialer dialer,
      List<VmHook> hooks,
      Supplier<VmmChoice> vmm)
      throws InterruptedException {
    ProvisionerKind kind = chooseProvisioner(config, runner);
    Map<ProvisionerKind, RootDiskProvisioner> provisioners = new ConcurrentHashMap<>();
    ProcessTable processTable = ProcessTable.procfs();
    HostNetwork network =
        seams
            .hostNetwork()
            .orElseGet(
                () ->
                    new LinuxHostNetwork(
                        runner,
                        HostNetworkEnvironment.system(),
                        config.bridgeName(),
                        Ipv4Cidr.parse(config.bridgeCidr()),
                        TapDevices.DEFAULT_PREFIX,
                        NatRules.DEFAULT_TAG));
    // Adopting a running process needs no binary; the path is only a label there.
    FirecrackerLauncher adopter =
        new FirecrackerLauncher(
            vmm.get().binary().orElse(Path.of("firecracker")),
            processTable,
            seams.posix(),
            seams.clock());
    return new VmService(
        new VmService.Parts(
            config,
            layout,
            store,
            seams.clock(),
            locks,
            createOps,
            kind,
            k ->
                provisioners.computeIfAbsent(k, c -> Provisioners.create(c, runner, seams.clock())),
            network,
            vmm,
            binary -> new FirecrackerLauncher(binary, processTable, seams.posix(), seams.clock()),
            adopter,
            processTable,
            seams.guestIdentity().orElseGet(() -> new DebugfsGuestIdentity(runner)),
            seams.sshWaiter().orElseGet(() -> new MinaSshWaiter(dialer, seams.clock())),
            seams.guestPowerOff().orElseGet(() -> new MinaGuestPowerOff(dialer)),
            hooks));
  }

  private static void logVmm(VmmChoice choice) {
    if (choice.runnable()) {
      log.info(
          "VMs run under {} ({}): {}",
          choice.kind().wireName(),
          choice.binary().get(),
          choice.reason());
    } else {
      log.warn("no VMM can run VMs on this host, so every VM boot will fail: {}", choice.reason());
    }
  }

  private static ProvisionerKind chooseProvisioner(Config config, Runner runner)
      throws InterruptedException {
    String configured = config.diskProvisioner();
    boolean dmAvailable =
        !configured.equals(ProvisionerKind.COPY.configName())
            && new DeviceMapperProbe(runner).probe().available();
    try {
      ProvisionerKind kind = Provisioners.choose(configured, dmAvailable);
      log.info("root disks: {} provisioner", kind);
      return kind;
    } catch (ProvisionerChoiceException e) {
      throw new DaemonException(e.getMessage(), e);
    }
  }

  // ---- image builds ----

  /** How long a build script gets to run. */
  private static final Duration IMAGE_BUILD_TIMEOUT = Duration.ofMinutes(30);

  /** How long a cancelled build script gets for its trap (kill chroot processes, unmount). */
  private static final Duration IMAGE_BUILD_TERM_GRACE = Duration.ofSeconds(30);

  private static ImageOpsGuard guard(OrderedLock lock) {
    return new ImageOpsGuard() {
      @Override
      public <T> T run(Callable<T> work) throws Exception {
        try (OrderedLock.Held held = lock.lock()) {
          return work.call();
        }
      }
    };
  }

  private static ImageBuildService composeImageBuilds(
      Config config,
      Layout layout,
      Seams seams,
      Runner runner,
      ImageStaging staging,
      Registry<ImageBuildOp> ops,
      ImageOpsGuard guard)
      throws InterruptedException {
    BuildLeftovers leftovers = new BuildLeftovers(Path.of("/proc"), runner, seams.posix());
    // A build cut short by a crash may have left mounts and chrooted processes in its staging
    // folder: they must go before anything deletes staging folders.
    leftovers.sweep(layout.imageStagingDir());
    return new ImageBuildService(
        new ImageBuildService.Parts(
            runner,
            seams.posix(),
            ops,
            staging,
            guard,
            leftovers,
            layout.imageBuildCacheDir(),
            layout.sshPublicKey(),
            config.defaultKernel(),
            IMAGE_BUILD_TIMEOUT,
            IMAGE_BUILD_TERM_GRACE));
  }

  private static ScheduledExecutorService startPruner(List<Registry<?>> registries) {
    ScheduledExecutorService pruner =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread t = new Thread(task, "hearth-op-pruner");
              t.setDaemon(true);
              return t;
            });
    pruner.scheduleWithFixedDelay(
        () -> {
          try {
            registries.forEach(Registry::prune);
          } catch (RuntimeException e) {
            log.warn("pruning finished operations failed", e);
          }
        },
        PRUNE_INTERVAL.toMillis(),
        PRUNE_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
    return pruner;
  }

  /**
   * Runs doctor's host checks (ARCHITECTURE.md, "Doctor"); needs no running daemon.
   *
   * @throws DaemonException when interrupted (the thread's interrupt flag is set again)
   */
  public static DoctorReport doctor(Config config) {
    return doctor(config, VmmSelector.system());
  }

  private static DoctorReport doctor(Config config, VmmSelector vmm) {
    try {
      return Doctor.run(config, vmm);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DaemonException("the doctor checks were interrupted", e);
    }
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
   * Idempotent and callable from any thread (a shutdown hook, for instance); a second caller waits
   * for the first to finish.
   */
  @Override
  public void close() {
    if (!closeStarted.compareAndSet(false, true)) {
      awaitClosed();
      return;
    }
    log.info("hearth daemon stopping");
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
    DaemonException failure =
        new DaemonException("closing the daemon for " + layout.runtimeDir() + " failed");
    undoAll(steps, failure);
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

  private static VersionInfo versionInfo(long pid, VmmChoice choice) {
    return new VersionInfo(
        BuildInfo.version(),
        HearthClient.PROTOCOL_VERSION,
        Runtime.version().toString(),
        pid,
        Optional.of(
            new VersionInfo.Vmm(
                choice.kind().wireName(), choice.binary().map(Path::toString), choice.reason())));
  }

  private void awaitClosed() {
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static RpcServer bindSocket(
      Config config,
      Layout layout,
      Seams seams,
      VmMethods vmMethods,
      RpcHandler imageBuild,
      ImageMethods imageMethods,
      GuestMethods guestMethods,
      SessionMethods sessionMethods,
      Supplier<VmmChoice> vmm) {
    Path socket = layout.socket();
    try {
      if (Files.deleteIfExists(socket)) {
        log.info("removed the stale socket {} of a daemon that did not stop cleanly", socket);
      }
      Dispatcher dispatcher =
          new Dispatcher(
              () -> doctor(config, seams.vmmSelector()),
              seams.posix().getpid(),
              vmm,
              vmMethods,
              imageBuild,
              imageMethods,
              guestMethods,
              sessionMethods,
              seams.extraHandlers());
      RpcServer.Limits limits =
          new RpcServer.Limits(
              config.maxConnections(), config.clientIdleTimeout(), config.shutdownGrace());
      return RpcServer.bind(
          socket,
          new JsonRpcProtocol(dispatcher),
          seams.peerAuthorizer().orElseGet(() -> defaultAuthorizer(config, seams)),
          limits,
          seams.clock());
    } catch (IOException e) {
      throw new DaemonException("cannot listen on socket " + socket + ": " + e.getMessage(), e);
    }
  }

  private static PeerAuthorizer defaultAuthorizer(Config config, Seams seams) {
    Optional<String> group = config.socketGroup();
    OptionalInt gid = group.isPresent() ? seams.posix().groupId(group.get()) : OptionalInt.empty();
    return new SocketGroupAuthorizer(
        seams.posix().geteuid(),
        group,
        gid.isPresent() ? OptionalLong.of(gid.getAsInt()) : OptionalLong.empty(),
        seams.supplementaryGroups());
  }

  /** Mode 0660 and the socket group, so that its members can connect. */
  private static void secureSocket(Path socket, Optional<String> group, Posix posix) {
    try {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
    } catch (IOException e) {
      throw new DaemonException(
          "cannot set mode 0660 on socket " + socket + ": " + e.getMessage(), e);
    }
    if (group.isEmpty()) {
      return;
    }
    OptionalInt gid = posix.groupId(group.get());
    if (gid.isEmpty()) {
      log.warn(
          "socket_group '{}' does not exist; only root and the daemon's user can use {}"
              + " (create the group and restart the daemon)",
          group.get(),
          socket);
      return;
    }
    posix.chgrp(socket, gid.getAsInt());
  }

  private static void createFolder(Path dir, String mode) {
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
    } catch (IOException e) {
      throw new DaemonException("cannot create folder " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void writePidFile(Path pidFile, int pid) {
    try {
      Files.writeString(pidFile, pid + "\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new DaemonException("cannot write pid file " + pidFile + ": " + e.getMessage(), e);
    }
  }

  /** A step that undoes part of {@link #open}. */
  @FunctionalInterface
  private interface Undo {
    void run() throws Exception;
  }

  /** Runs every step, most recent first, recording failures as suppressed by {@code failure}. */
  private static void undoAll(Deque<Undo> steps, Exception failure) {
    while (!steps.isEmpty()) {
      try {
        steps.pop().run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure.addSuppressed(e);
      } catch (Exception e) {
        failure.addSuppressed(e);
      }
    }
  }
}

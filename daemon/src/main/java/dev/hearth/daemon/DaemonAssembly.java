package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.Store;
import dev.hearth.core.rpc.RpcServer;
import dev.hearth.daemon.internal.dns.VmDnsHook;
import dev.hearth.daemon.internal.guest.GuestCallsHook;
import dev.hearth.daemon.internal.guest.GuestRoute;
import dev.hearth.daemon.internal.guest.GuestRpc;
import dev.hearth.daemon.internal.imagebuild.ImageBuildOp;
import dev.hearth.daemon.internal.imagebuild.ImageBuildRpc;
import dev.hearth.daemon.internal.imagebuild.ImageBuildService;
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
import dev.hearth.daemon.internal.vm.VmHostKeys;
import dev.hearth.daemon.internal.vm.VmLocks;
import dev.hearth.daemon.internal.vm.VmRpc;
import dev.hearth.daemon.internal.vm.VmService;
import dev.hearth.daemon.internal.web.WebServer;
import dev.hearth.daemon.internal.web.WebSources;
import dev.hearth.daemon.internal.workspace.LocalWorkspaces;
import dev.hearth.daemon.internal.workspace.WorkspaceOp;
import dev.hearth.daemon.internal.workspace.WorkspaceRpc;
import dev.hearth.daemon.internal.workspace.WorkspaceService;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.dns.DnsUpstreams;
import dev.hearth.fcproc.dns.ResolvedLink;
import dev.hearth.fcproc.dns.VmDns;
import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.imagemgr.ImageStaging;
import dev.hearth.imagemgr.VmlinuxExtractor;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.OpStore;
import dev.hearth.opstate.Registry;
import dev.hearth.session.GuestExec;
import dev.hearth.session.GuestScripts;
import dev.hearth.session.MinaGuestDialer;
import dev.hearth.session.SessionLayout;
import dev.hearth.session.SshKeyPair;
import dev.hearth.workspace.WorkspaceScripts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a daemon ({@link Daemon#open}, {@link Daemon#openInProcess}): the state and runtime
 * folders, the runtime folder's lock and pid file, the store, the services ({@link
 * DaemonServices}), reconcile, and the socket ({@link DaemonSocket}); on failure it undoes every
 * step taken.
 */
final class DaemonAssembly {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** How long connecting to a guest's SSH server for exec, shell or copy may take. */
  private static final Duration GUEST_CONNECT_TIMEOUT = Duration.ofSeconds(30);

  private DaemonAssembly() {}

  /** {@link Daemon#open}; without {@code listen}, {@link Daemon#openInProcess}. */
  static Daemon open(Config config, Daemon.Seams seams, boolean listen) {
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
      MinaGuestDialer dialer =
          MinaGuestDialer.of(guestKey.keyPair(), new VmHostKeys(store), config.guestKeepalive());
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
              seams.guestRoute().orElseGet(GuestRoute::vmAddress),
              seams
                  .guestScripts()
                  .orElseGet(
                      () ->
                          GuestScripts.overSsh(
                              guestExec, seams.sessionLayout().orElse(SessionLayout.GUEST))),
              seams.clock(),
              config.guestCallTimeout(),
              config.sessionLogMaxSize());
      undo.push(sessions::close);
      List<VmHook> hooks = new ArrayList<>(seams.vmHooks());
      hooks.add(new GuestCallsHook(dialer.calls()));
      hooks.add(sessions.hook());
      Registry<WorkspaceOp> workspaceOps =
          new Registry<>(seams.clock(), config.operationRetention(), WorkspaceOp.KINDS, opStore);
      undo.push(workspaceOps::close);
      WorkspaceService workspaces =
          new WorkspaceService(
              ref -> vmsForSessions.get().find(ref),
              seams.guestRoute().orElseGet(GuestRoute::vmAddress),
              guestExec,
              store,
              seams.clock(),
              workspaceOps,
              // A guest standing in for VMs (tests) keeps workspaces beside its sessions' folder.
              seams
                  .sessionLayout()
                  .map(l -> Path.of(l.root()).resolveSibling("workspace").toString())
                  .orElse(WorkspaceScripts.ROOT));
      hooks.add(workspaces.hook());
      // The VM DNS follows VMs through a hook; its guest listener opens once the bridge exists.
      // It asks the VMs' egress policies, which are composed after it (the DNS hook goes in).
      EgressGate egress =
          new EgressGate() {
            @Override
            public boolean mayResolve(Ipv4 guest, String name) {
              VmService vms = vmsForSessions.get();
              return vms == null || vms.egressGate().mayResolve(guest, name);
            }

            @Override
            public void resolved(Ipv4 guest, String name, List<Ipv4> addresses, Duration ttl) {
              VmService vms = vmsForSessions.get();
              if (vms != null) {
                vms.egressGate().resolved(guest, name, addresses, ttl);
              }
            }
          };
      VmDns dns =
          new VmDns(
              config,
              DnsUpstreams.of(config, seams.hostProbe()),
              egress,
              seams.hostNetwork().isEmpty()
                  ? Optional.of(new ResolvedLink(runner, seams.hostProbe()))
                  : Optional.empty(),
              seams.hostProbe());
      undo.push(dns::close);
      VmDnsHook dnsHook = new VmDnsHook(dns);
      hooks.add(dnsHook);
      HostNetwork network =
          seams
              .hostNetwork()
              .orElseGet(() -> dns.followBridge(DaemonServices.linuxHostNetwork(config, runner)));
      // Chosen again at each boot (firecracker installed, or KVM changed, since), and for
      // version and doctor; logged once here.
      Supplier<VmmChoice> vmm = () -> seams.vmmSelector().choose(config);
      DaemonServices.logVmm(vmm.get());
      VmService vms =
          DaemonServices.composeVms(
              config, layout, store, seams, runner, locks, createOps, dialer, hooks, network, vmm);
      vmsForSessions.set(vms);
      vms.reconcile();
      dnsHook.load(vms.list());
      dns.listenForHost();
      // Image builds sweep what a crashed build left in staging before cleanupStale deletes it.
      Registry<ImageBuildOp> imageBuildOps =
          new Registry<>(
              seams.clock(), config.operationRetention(), Set.of(ImageBuildOp.KIND), opStore);
      undo.push(imageBuildOps::close);
      ImageStaging staging =
          new ImageStaging(
              layout.imageStagingDir(),
              layout.imagesDir(),
              runner,
              seams.clock(),
              seams.fileSync());
      ImageBuildService imageBuilds =
          DaemonServices.composeImageBuilds(
              config,
              layout,
              seams,
              runner,
              staging,
              imageBuildOps,
              DaemonServices.guard(locks.imageOpsLock()));
      ImageService images =
          new ImageService(layout, locks, vms, staging, new VmlinuxExtractor(runner));
      images.cleanupStale();
      ScheduledExecutorService pruner =
          DaemonServices.startPruner(List.of(createOps, imageBuildOps, workspaceOps));
      undo.push(pruner::shutdownNow);
      LocalOps opsApi = new LocalOps(List.of(createOps, imageBuildOps, workspaceOps));
      GuestRpc guests =
          new GuestRpc(vms, seams.guestRoute().orElseGet(GuestRoute::vmAddress), guestExec);
      LocalVms vmsApi = new LocalVms(vms, config, opsApi, guests);
      LocalImages imagesApi = new LocalImages(images, imageBuilds, opsApi);
      long pid = seams.posix().getpid();
      Supplier<VersionInfo> version = () -> DaemonServices.versionInfo(pid, vmm.get());
      Optional<RpcServer> rpc = Optional.empty();
      Optional<WebServer> web = Optional.empty();
      LocalWorkspaces localWorkspaces =
          new LocalWorkspaces(workspaces, Path.of(System.getProperty("java.io.tmpdir")));
      if (listen) {
        RpcServer server =
            DaemonSocket.bind(
                config,
                layout,
                seams,
                new VmRpc(vms, vmsApi, opsApi),
                new ImageBuildRpc(imageBuilds),
                new ImageRpc(imagesApi, images),
                guests,
                new SessionRpc(sessions),
                new WorkspaceRpc(workspaces).handlers(),
                vmm);
        undo.push(() -> Files.deleteIfExists(layout.socket()));
        undo.push(server::close);
        DaemonSocket.secure(layout.socket(), config.socketGroup(), seams.posix());
        log.info("hearth daemon (pid {}) listening on {}", pid, layout.socket());
        rpc = Optional.of(server);
        web =
            DaemonWeb.start(
                config,
                layout,
                seams,
                new WebSources(
                    vmsApi,
                    opsApi,
                    imagesApi,
                    new LocalSessions(sessions),
                    localWorkspaces,
                    () -> Daemon.doctor(config, seams.vmmSelector()),
                    config.dnsDomain()));
        web.ifPresent(w -> undo.push(w::close));
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
          () -> Daemon.doctor(config, seams.vmmSelector()),
          createOps,
          imageBuildOps,
          pruner,
          dialer,
          sessions,
          localWorkspaces,
          closing(dns, web),
          config.shutdownGrace());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      DaemonException failure = new DaemonException("opening the daemon was interrupted", e);
      Undo.undoAll(undo, failure);
      throw failure;
    } catch (RuntimeException e) {
      Undo.undoAll(undo, e);
      throw e;
    }
  }

  /** The listeners' close, in the daemon's: the web UI first, then the VM DNS. */
  private static Undo closing(VmDns dns, Optional<WebServer> web) {
    return () -> {
      try {
        web.ifPresent(WebServer::close);
      } finally {
        dns.close();
      }
    };
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
}

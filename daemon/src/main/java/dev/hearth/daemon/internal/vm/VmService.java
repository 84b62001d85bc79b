package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Clock;
import dev.hearth.core.Config;
import dev.hearth.core.CoreException;
import dev.hearth.core.Layout;
import dev.hearth.core.Names;
import dev.hearth.core.OrderedLock;
import dev.hearth.core.Store;
import dev.hearth.core.TreeDeleter;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.HearthException;
import dev.hearth.dmsnap.DmsnapException;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.RootDisk;
import dev.hearth.dmsnap.RootDiskProvisioner;
import dev.hearth.fcproc.FcprocException;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.FirecrackerClient;
import dev.hearth.fcproc.client.LogLevel;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MachineConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import dev.hearth.fcproc.net.GuestNetwork;
import dev.hearth.fcproc.net.GuestNetworkFullException;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.net.TapPool;
import dev.hearth.fcproc.process.FirecrackerLauncher;
import dev.hearth.fcproc.process.FirecrackerProcess;
import dev.hearth.fcproc.process.LaunchSpec;
import dev.hearth.fcproc.process.ProcessIdentity;
import dev.hearth.fcproc.process.ProcessTable;
import dev.hearth.imagemgr.GuestIdentity;
import dev.hearth.imagemgr.ImageCatalog;
import dev.hearth.imagemgr.ImageCatalog.BootFiles;
import dev.hearth.imagemgr.ImageNotFoundException;
import dev.hearth.imagemgr.ImageReadException;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.Registry;
import dev.hearth.session.GuestPowerOff;
import dev.hearth.session.SessionException;
import dev.hearth.session.SshWaiter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VM lifecycle (ARCHITECTURE.md, "VMs"): create with its stages, start, stop, kill, delete, and
 * reconcile at daemon start.
 *
 * <p>Concurrency: a VM's state is its claim. A create holds the row in {@code creating} and a start
 * in {@code starting} while they do slow work (disk, boot, waiting for SSH) with no lock held;
 * other operations on that VM see the state and answer {@code conflict}. Locks are taken only for
 * state changes, in the order {@code vmLocks[id] -> createVmLock -> tap pool} ({@link
 * OrderedLock}); stop, kill and delete hold the VM's lock throughout, since they do no guest I/O.
 */
public final class VmService {
  private static final Logger log = LoggerFactory.getLogger(VmService.class);

  static final String CONSOLE_LOG = "console.log";
  static final String FIRECRACKER_LOG = "firecracker.log";
  static final String METRICS = "metrics.json";
  static final String BASE_BOOT_ARGS = "console=ttyS0 reboot=k panic=1 pci=off ";
  static final int SSH_PORT = 22;
  static final Duration API_SOCKET_TIMEOUT = Duration.ofSeconds(30);

  /** What the daemon composes for the VM lifecycle. */
  public record Parts(
      Config config,
      Layout layout,
      Store store,
      Clock clock,
      VmLocks locks,
      Registry<CreateOp> createOps,
      ProvisionerKind provisionerKind,
      Function<ProvisionerKind, RootDiskProvisioner> provisioners,
      HostNetwork network,
      Supplier<VmmChoice> vmm,
      Function<Path, FirecrackerLauncher> launcher,
      FirecrackerLauncher adopter,
      ProcessTable processTable,
      GuestIdentity identity,
      SshWaiter sshWaiter,
      GuestPowerOff powerOff,
      List<VmHook> hooks) {}

  /** A validated create request. */
  public record CreateRequest(
      String name,
      String image,
      int vcpus,
      int memoryMib,
      OptionalLong diskSizeBytes,
      boolean noStart) {}

  /** What {@link #create} answers at once: the op as it started and the reserved VM. */
  public record Created(OpSnapshot op, Vm vm) {}

  private final Parts parts;
  private final Layout layout;
  private final VmStore vms;
  private final VmLocks locks;
  private final GuestNetwork guestNetwork;
  private final TapPool tapPool;
  private final Object networkOnce = new Object();
  private final VmHooks hooks;
  private final ImageCatalog images;
  private boolean networkReady;

  public VmService(Parts parts) {
    this.hooks = new VmHooks(parts.hooks());
    this.parts = parts;
    this.layout = parts.layout();
    this.images = new ImageCatalog(layout.imagesDir());
    this.vms = new VmStore(parts.store());
    this.locks = parts.locks();
    this.guestNetwork = new GuestNetwork(Ipv4Cidr.parse(parts.config().bridgeCidr()));
    this.tapPool = new TapPool(parts.config().tapPoolSize());
  }

  public Registry<CreateOp> createOps() {
    return parts.createOps();
  }

  public ProvisionerKind provisionerKind() {
    return parts.provisionerKind();
  }

  VmStore store() {
    return vms;
  }

  // ---- reading ----

  /** Every VM by name, with VMs whose guest went down by itself shown as stopped. */
  public List<Vm> list() {
    return vms.list().stream().map(this::refresh).toList();
  }

  /**
   * The VM named {@code ref}, or the one whose id starts with it.
   *
   * @throws HearthException not_found when none matches, invalid params naming the candidates when
   *     several do
   */
  public Vm find(String ref) {
    return refresh(resolve(ref));
  }

  public Path apiSocket(Vm vm) {
    return layout.vmApiSocket(vm.id());
  }

  public Path consoleLog(Vm vm) {
    return layout.vmDir(vm.id()).resolve(CONSOLE_LOG);
  }

  private Vm resolve(String ref) {
    Optional<Vm> byName = vms.findByName(ref);
    if (byName.isPresent()) {
      return byName.get();
    }
    if (!ref.matches("[0-9a-f]{1,16}")) {
      throw notFound(ref);
    }
    List<Vm> byId = vms.findByIdPrefix(ref);
    if (byId.isEmpty()) {
      throw notFound(ref);
    }
    if (byId.size() > 1) {
      throw HearthException.invalid(
          "id prefix '"
              + ref
              + "' matches "
              + byId.size()
              + " VMs: "
              + byId.stream()
                  .map(v -> v.id() + " (" + v.name() + ")")
                  .collect(Collectors.joining(", "))
              + "; give more of the id or the name");
    }
    return byId.get(0);
  }

  private static HearthException notFound(String ref) {
    return HearthException.notFound(
        "no VM named '" + ref + "' or with an id starting with it; see `hearth vm list`");
  }

  /** A running VM whose process has gone (the guest powered off) is recorded as stopped. */
  private Vm refresh(Vm vm) {
    if (vm.state() == VmState.RUNNING
        && vm.process().isPresent()
        && !vm.process().get().isAlive(parts.processTable())) {
      if (vms.markExited(vm)) {
        log.info("VM {} ({}) went down by itself", vm.name(), vm.id());
        deleteQuietly(apiSocket(vm));
      }
      return vms.find(vm.id()).orElse(vm.withState(VmState.STOPPED).withProcess(Optional.empty()));
    }
    return vm;
  }

  /** Whether the VM's process runs, for streams that end when it stops. */
  public boolean isRunning(String id) {
    return vms.find(id).map(this::refresh).map(v -> v.state() == VmState.RUNNING).orElse(false);
  }

  // ---- create ----

  /**
   * Reserves the name, a guest address and a TAP, then runs the remaining stages as a {@code
   * vm.create} operation.
   *
   * @throws HearthException not_found for an unknown image, conflict for a taken name,
   *     precondition_failed when no guest address is free, host_error when the host network fails
   */
  public Created create(CreateRequest request) throws InterruptedException {
    BootFiles image = image(request.image());
    long imageBytes = size(image.rootfs());
    if (request.diskSizeBytes().isPresent() && request.diskSizeBytes().getAsLong() < imageBytes) {
      throw HearthException.invalid(
          "disk_size "
              + request.diskSizeBytes().getAsLong()
              + " bytes is smaller than image '"
              + request.image()
              + "' ("
              + imageBytes
              + " bytes); give at least the image's size");
    }
    ensureNetwork();
    Vm vm = reserve(request, image, imageBytes);
    boolean started = false;
    try {
      CreateOp op = new CreateOp(vm.name());
      OpSnapshot first = parts.createOps().start(op, o -> runCreate(o, vm, image, request));
      started = true;
      return new Created(first, vm);
    } finally {
      if (!started) {
        undoCreate(vm, Optional.empty(), Optional.empty(), new DaemonException("not started"));
      }
    }
  }

  private Vm reserve(CreateRequest request, BootFiles image, long imageBytes)
      throws InterruptedException {
    String id = Names.newId();
    Vm vm;
    boolean newTap;
    try (OrderedLock.Held held = locks.createVmLock().lock()) {
      if (vms.findByName(request.name()).isPresent()) {
        throw HearthException.conflict(
            "a VM named '" + request.name() + "' already exists; choose another name");
      }
      List<Vm> all = vms.list();
      Set<Ipv4> taken = all.stream().map(v -> Ipv4.parse(v.ip())).collect(Collectors.toSet());
      Ipv4 ip;
      try {
        ip = guestNetwork.allocate(taken);
      } catch (GuestNetworkFullException e) {
        throw HearthException.preconditionFailed(e.getMessage());
      }
      Optional<String> pooled = tapPool.take();
      newTap = pooled.isEmpty();
      String tap = pooled.orElseGet(() -> freeTapName(all));
      String bootArgs =
          BASE_BOOT_ARGS
              + image.bootArgs().map(a -> a + " ").orElse("")
              + guestNetwork.kernelIpArgument(ip, request.name());
      vm =
          new Vm(
              id,
              request.name(),
              VmState.CREATING,
              ip.toString(),
              GuestNetwork.macFor(ip),
              tap,
              request.image(),
              request.vcpus(),
              request.memoryMib(),
              request.diskSizeBytes().orElse(imageBytes),
              parts.provisionerKind().configName(),
              parts.clock().now(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              bootArgs,
              Optional.empty());
      vms.insert(vm);
    }
    try {
      if (newTap) {
        parts.network().createTap(vm.tap());
      } else {
        // A pooled TAP may still be on the bridge of an earlier daemon with another bridge_name.
        parts.network().attachTap(vm.tap());
      }
    } catch (RuntimeException | InterruptedException e) {
      undoCreate(vm, Optional.empty(), Optional.empty(), e);
      throw hostError(e);
    }
    log.info("reserved VM {} ({}): {} on {}", vm.name(), vm.id(), vm.ip(), vm.tap());
    return vm;
  }

  /** The lowest TAP index not used by a VM nor idle in the pool. Caller holds createVmLock. */
  private String freeTapName(List<Vm> all) {
    Set<String> used = all.stream().map(Vm::tap).collect(Collectors.toCollection(HashSet::new));
    used.addAll(tapPool.idle());
    for (int i = 0; ; i++) {
      String name = parts.network().tapName(i);
      if (!used.contains(name)) {
        return name;
      }
    }
  }

  private String runCreate(CreateOp op, Vm reserved, BootFiles image, CreateRequest request)
      throws Exception {
    Vm vm = reserved;
    Optional<RootDisk> disk = Optional.empty();
    Optional<FirecrackerProcess> process = Optional.empty();
    try {
      op.stage("reserve", 100);
      op.log("reserved " + vm.ip() + " (" + vm.mac() + ") on " + vm.tap());
      op.checkCancelled();

      op.stage("rootfs");
      Path dir = layout.vmDir(vm.id());
      Files.createDirectories(dir);
      disk =
          Optional.of(
              provisioner(parts.provisionerKind())
                  .create(vm.id(), image.rootfs(), dir, request.diskSizeBytes()));
      vm = vm.withRootDisk(disk.get());
      vms.update(vm);
      op.log("root disk " + disk.get().path() + " (" + disk.get().sizeBytes() + " bytes)");
      op.checkCancelled();

      op.stage("identity");
      parts
          .identity()
          .write(
              disk.get().path(),
              vm.name(),
              vm.ip() + "/" + guestNetwork.cidr().prefix(),
              guestNetwork.gateway().toString(),
              guestNetwork.gateway().toString(),
              authorizedKey());
      op.log("identity written: hostname " + vm.name() + ", address and SSH key");
      op.checkCancelled();

      if (request.noStart()) {
        vm = transition(vm.id(), VmState.STOPPED, Optional.empty());
        op.log("created without starting (no_start)");
        return vm.id();
      }

      op.stage("boot");
      VmmChoice vmm = parts.vmm().get();
      op.log("VMM: " + vmm.reason());
      process = Optional.of(boot(vm, vmm));
      vm = vm.withProcess(Optional.of(process.get().identity())).withVmm(vmm.kind());
      vms.update(vm);
      op.log(
          vmm.kind().wireName() + " pid " + process.get().identity().pid() + " booted the guest");
      op.checkCancelled();

      op.stage("wait-ssh");
      awaitSsh(vm);
      op.log("SSH answers at " + vm.ip() + ":22");

      op.stage("ready");
      Vm running = transition(vm.id(), VmState.RUNNING, vm.process());
      op.log("VM " + vm.name() + " is running at " + vm.ip());
      hooks.started(running);
      return vm.id();
    } catch (Exception | Error e) {
      undoCreate(vm, disk, process, e);
      throw e;
    }
  }

  /**
   * Undoes a create that failed at any stage: the process and its socket, the root disk and the
   * VM's folder, the TAP (back to the pool or deleted), and the row, freeing name and address. Runs
   * to the end even when the create was cancelled by an interrupt; what cannot be undone is
   * recorded on {@code failure} and the VM is left in state error so that `vm delete` can finish.
   */
  private void undoCreate(
      Vm vm, Optional<RootDisk> disk, Optional<FirecrackerProcess> process, Throwable failure) {
    boolean interrupted = Thread.interrupted();
    try {
      removeResources(vm, disk, process);
      releaseReservation(vm);
      log.info("undid the create of VM {} ({})", vm.name(), vm.id());
    } catch (RuntimeException | InterruptedException e) {
      failure.addSuppressed(e);
      interrupted |= e instanceof InterruptedException;
      log.error(
          "could not undo the create of VM {} ({}); it is left in state error",
          vm.name(),
          vm.id(),
          e);
      try {
        vms.update(
            vm.withState(VmState.ERROR)
                .withProcess(Optional.empty())
                .withError(Optional.of("create failed and its undo failed: " + e.getMessage())));
      } catch (RuntimeException storeFailure) {
        failure.addSuppressed(storeFailure);
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Kills the process, removes its socket, the root disk and the VM's folder. */
  private void removeResources(Vm vm, Optional<RootDisk> disk, Optional<FirecrackerProcess> process)
      throws InterruptedException {
    if (process.isPresent()) {
      process.get().kill();
    } else if (vm.process().isPresent()) {
      parts.adopter().adopt(vm.process().get(), apiSocket(vm)).kill();
    }
    deleteQuietly(apiSocket(vm));
    Optional<RootDisk> recorded = disk.or(vm::rootDisk);
    if (recorded.isPresent()) {
      provisioner(recorded.get().kind()).remove(recorded.get());
    }
    deleteTree(layout.vmDir(vm.id()));
  }

  /**
   * Gives the VM's TAP back to the pool or deletes it, then deletes the row, freeing the name and
   * the address. The TAP is deleted before the row goes, so that no create can pick its name while
   * the device still exists.
   */
  private void releaseReservation(Vm vm) throws InterruptedException {
    try (OrderedLock.Held held = locks.createVmLock().lock()) {
      if (tapPool.offer(vm.tap())) {
        vms.delete(vm.id());
        return;
      }
    }
    parts.network().deleteTap(vm.tap());
    try (OrderedLock.Held held = locks.createVmLock().lock()) {
      vms.delete(vm.id());
    }
  }

  // ---- start, stop, kill, delete ----

  /**
   * Boots a stopped VM again on its disk, address, TAP and name, and waits for SSH.
   *
   * @throws HearthException conflict when it is not stopped
   */
  public Vm start(String ref) throws InterruptedException {
    Vm vm;
    String id = resolve(ref).id();
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      vm = reload(id, ref);
      if (vm.state() != VmState.STOPPED && vm.state() != VmState.ERROR) {
        throw HearthException.conflict(
            "VM " + vm.name() + " is " + vm.state().wireName() + "; only a stopped VM can start");
      }
      if (vm.rootDisk().isEmpty()) {
        throw HearthException.preconditionFailed(
            "VM " + vm.name() + " has no root disk (its create failed); delete it");
      }
      vm = vm.withState(VmState.STARTING).withError(Optional.empty());
      vms.update(vm);
    }
    Optional<FirecrackerProcess> process = Optional.empty();
    try {
      ensureNetwork();
      if (parts.network().listTaps().contains(vm.tap())) {
        // Kept while stopped; a daemon with another bridge_name may have run since.
        parts.network().attachTap(vm.tap());
      } else {
        parts.network().createTap(vm.tap());
      }
      VmmChoice vmm = parts.vmm().get();
      process = Optional.of(boot(vm, vmm));
      vm = vm.withProcess(Optional.of(process.get().identity())).withVmm(vmm.kind());
      vms.update(vm);
      awaitSsh(vm);
      Vm running = transition(vm.id(), VmState.RUNNING, vm.process());
      hooks.started(running);
      return running;
    } catch (RuntimeException | InterruptedException e) {
      boolean interrupted = Thread.interrupted();
      try {
        if (process.isPresent()) {
          process.get().kill();
        }
        transition(vm.id(), VmState.STOPPED, Optional.empty());
      } catch (RuntimeException | InterruptedException cleanup) {
        e.addSuppressed(cleanup);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      if (e instanceof InterruptedException) {
        throw (InterruptedException) e;
      }
      throw asRpc("starting VM " + vm.name(), (RuntimeException) e);
    }
  }

  /**
   * Stops a running VM gracefully: {@code SendCtrlAltDel}; if the guest is still up after half of
   * {@code timeout}, {@code poweroff} over SSH; if it is still up when the timeout ends, SIGKILL.
   * The VM's lock is not held while waiting on the guest: the {@code stopping} state keeps other
   * commands off the VM meanwhile. A VM that is not running is returned as it is.
   */
  public Vm stop(String ref, Duration timeout) throws InterruptedException {
    String id = resolve(ref).id();
    Vm vm;
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      vm = reload(id, ref);
      requireSettled(vm, "stop");
      if (vm.state() != VmState.RUNNING) {
        return vm;
      }
      vms.update(vm.withState(VmState.STOPPING));
    }
    String how;
    try {
      how = shutDown(vm, parts.adopter().adopt(vm.process().orElseThrow(), apiSocket(vm)), timeout);
    } catch (FcprocException e) {
      transition(vm.id(), VmState.RUNNING, vm.process());
      throw asRpc("stopping VM " + vm.name(), e);
    } catch (InterruptedException | RuntimeException e) {
      transition(vm.id(), VmState.RUNNING, vm.process());
      throw e;
    }
    log.info("VM {} stopped ({})", vm.name(), how);
    Vm stopped = transition(vm.id(), VmState.STOPPED, Optional.empty());
    hooks.stopped(stopped);
    return stopped;
  }

  /** The three steps of a graceful stop; says which one brought the guest down. */
  private String shutDown(Vm vm, FirecrackerProcess process, Duration timeout)
      throws InterruptedException {
    Duration half = timeout.dividedBy(2);
    try {
      process.client().sendCtrlAltDel();
      if (process.waitForExit(half)) {
        // Gone already: kill() only removes its API socket now.
        process.kill();
        return "guest shut down after SendCtrlAltDel";
      }
    } catch (FcprocException e) {
      log.info("VM {}: SendCtrlAltDel failed ({}); trying poweroff", vm.name(), e.getMessage());
    }
    long start = parts.clock().nanoTime();
    try {
      parts.powerOff().powerOff(vm.ip(), SSH_PORT, half);
    } catch (DaemonException | SessionException e) {
      log.info("VM {}: poweroff over SSH failed ({})", vm.name(), e.getMessage());
    }
    Duration left = timeout.minus(half).minusNanos(parts.clock().nanoTime() - start);
    if (process.waitForExit(left.isNegative() ? Duration.ZERO : left)) {
      process.kill();
      return "guest powered off over SSH";
    }
    process.kill();
    return "killed after " + timeout.toSeconds() + " s";
  }

  /** SIGKILLs a running VM at once. */
  public Vm kill(String ref) throws InterruptedException {
    String id = resolve(ref).id();
    Vm killed;
    boolean wasRunning;
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      Vm vm = reload(id, ref);
      requireSettled(vm, "kill");
      wasRunning = vm.state() == VmState.RUNNING;
      if (vm.process().isPresent()) {
        try {
          parts.adopter().adopt(vm.process().get(), apiSocket(vm)).kill();
        } catch (FcprocException e) {
          throw asRpc("killing VM " + vm.name(), e);
        }
      }
      killed = transition(vm.id(), VmState.STOPPED, Optional.empty());
    }
    if (wasRunning) {
      hooks.stopped(killed);
    }
    return killed;
  }

  /**
   * Deletes a VM and everything of it.
   *
   * @throws HearthException precondition_failed for a running VM without {@code force}
   */
  public String delete(String ref, boolean force) throws InterruptedException {
    String id = resolve(ref).id();
    Vm vm;
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      vm = reload(id, ref);
      requireSettled(vm, "delete");
      if (vm.state() == VmState.RUNNING && !force) {
        throw HearthException.preconditionFailed(
            "VM " + vm.name() + " is running; stop it first or delete it with --force");
      }
      try {
        removeResources(vm, Optional.empty(), Optional.empty());
        releaseReservation(vm);
      } catch (RuntimeException e) {
        throw asRpc("deleting VM " + vm.name(), e);
      }
      locks.forget(id);
      log.info("deleted VM {} ({})", vm.name(), vm.id());
    }
    hooks.deleted(vm);
    return vm.id();
  }

  /** The row again, now that the caller holds the VM's lock; gone meanwhile is not_found. */
  private Vm reload(String id, String ref) {
    return refresh(vms.find(id).orElseThrow(() -> notFound(ref)));
  }

  private static void requireSettled(Vm vm, String action) {
    if (vm.state() == VmState.CREATING) {
      throw HearthException.conflict(
          "VM "
              + vm.name()
              + " is being created; wait for it, or cancel the create with"
              + " `hearth op cancel`, before you "
              + action
              + " it");
    }
    if (vm.state() == VmState.STARTING || vm.state() == VmState.STOPPING) {
      throw HearthException.conflict(
          "VM " + vm.name() + " is " + vm.state().wireName() + "; try again when it has settled");
    }
  }

  /** Sets the state (and the process) under the VM's lock. */
  private Vm transition(String id, VmState state, Optional<ProcessIdentity> process) {
    try (OrderedLock.Held held = locks.vm(id).lock()) {
      Vm vm =
          vms.find(id)
              .orElseThrow(() -> new DaemonException("VM " + id + " vanished during " + state))
              .withState(state)
              .withProcess(process);
      vms.update(vm);
      if (process.isEmpty()) {
        deleteQuietly(apiSocket(vm));
      }
      return vm;
    }
  }

  // ---- boot ----

  private FirecrackerProcess boot(Vm vm, VmmChoice vmm) throws InterruptedException {
    // Refused before anything is made when nothing can run VMs here, naming why.
    Path binary = vmm.requireBinary();
    // Not checked again: a kernel gone since the create is refused by firecracker, naming it.
    BootFiles image = imagePaths(vm.image());
    Path dir = layout.vmDir(vm.id());
    Path firecrackerLog = dir.resolve(FIRECRACKER_LOG);
    Path metrics = dir.resolve(METRICS);
    try {
      Files.createDirectories(dir);
      for (Path file : List.of(firecrackerLog, metrics)) {
        if (!Files.exists(file)) {
          Files.createFile(file);
        }
      }
    } catch (IOException e) {
      throw new DaemonException("cannot create the log files in " + dir + ": " + e.getMessage(), e);
    }
    LaunchSpec spec =
        new LaunchSpec(
            vm.id(),
            apiSocket(vm),
            dir.resolve(CONSOLE_LOG),
            parts.config().consoleLogMaxSize(),
            API_SOCKET_TIMEOUT);
    FirecrackerProcess process = parts.launcher().apply(binary).spawn(spec);
    try {
      FirecrackerClient api = process.client();
      api.putLogger(new LoggerConfig(firecrackerLog, LogLevel.INFO));
      api.putMetrics(new MetricsConfig(metrics));
      api.putMachineConfig(new MachineConfig(vm.vcpus(), vm.memoryMib()));
      api.putBootSource(new BootSource(image.kernel(), Optional.of(vm.bootArgs()), image.initrd()));
      api.putDrive(new Drive("rootfs", vm.rootDisk().orElseThrow().path(), true, false));
      api.putNetworkInterface(new NetworkInterface("eth0", vm.tap(), vm.mac()));
      api.instanceStart();
      return process;
    } catch (RuntimeException e) {
      try {
        process.kill();
      } catch (RuntimeException | InterruptedException killFailure) {
        e.addSuppressed(killFailure);
      }
      throw e;
    }
  }

  private void awaitSsh(Vm vm) throws InterruptedException {
    try {
      parts.sshWaiter().await(vm.ip(), SSH_PORT, parts.config().sshWaitTimeout());
    } catch (HearthException e) {
      throw e;
    } catch (DaemonException | SessionException e) {
      throw HearthException.timeout(e.getMessage());
    }
  }

  private String authorizedKey() {
    Path key = layout.sshPublicKey();
    try {
      return Files.exists(key) ? Files.readString(key, StandardCharsets.UTF_8).strip() : "";
    } catch (IOException e) {
      throw new DaemonException("cannot read the daemon's public key " + key + ": " + e, e);
    }
  }

  /** The bridge and NAT, set up once, when a VM first needs them. */
  private void ensureNetwork() throws InterruptedException {
    synchronized (networkOnce) {
      if (networkReady) {
        return;
      }
      try {
        parts.network().ensure();
      } catch (RuntimeException e) {
        throw hostError(e);
      }
      networkReady = true;
    }
  }

  private RootDiskProvisioner provisioner(ProvisionerKind kind) {
    return parts.provisioners().apply(kind);
  }

  // ---- images ----

  /** An image's files, and the kernel arguments its manifest records (hand-made images: none). */
  private BootFiles image(String name) {
    try {
      return images.bootFiles(name);
    } catch (ImageNotFoundException e) {
      throw HearthException.notFound(e.getMessage());
    } catch (ImageReadException e) {
      throw HearthException.hostError(e.getMessage());
    }
  }

  private BootFiles imagePaths(String name) {
    try {
      return images.bootFilesUnchecked(name);
    } catch (ImageReadException e) {
      throw HearthException.hostError(e.getMessage());
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new DaemonException("cannot read the size of " + file + ": " + e.getMessage(), e);
    }
  }

  // ---- reconcile ----

  /**
   * Brings the store and the host into agreement after a daemon start, before anything is served:
   * VMs whose process still runs are running again (re-adopted); other started VMs are stopped; VMs
   * a crash caught in their create are undone and removed; TAPs, disks, VM folders and API sockets
   * that belong to no VM are removed (idle TAPs fill the pool first).
   */
  public void reconcile() throws InterruptedException {
    List<Vm> all = vms.list();
    boolean dmInUse =
        all.stream().anyMatch(v -> v.provisioner().equals(ProvisionerKind.DM_SNAPSHOT.configName()))
            || parts.provisionerKind() == ProvisionerKind.DM_SNAPSHOT && !all.isEmpty();
    List<Vm> kept = new ArrayList<>();
    List<Vm> readopted = new ArrayList<>();
    List<Vm> foundDead = new ArrayList<>();
    for (Vm vm : all) {
      boolean alive = vm.process().map(p -> p.isAlive(parts.processTable())).orElse(false);
      switch (vm.state()) {
        case CREATING -> {
          log.warn(
              "VM {} ({}) was being created when the daemon stopped; removing it",
              vm.name(),
              vm.id());
          try {
            removeResources(vm, Optional.empty(), Optional.empty());
            releaseReservation(vm);
          } catch (RuntimeException e) {
            log.error("cannot remove the half-created VM {}; marking it error", vm.name(), e);
            Vm failed =
                vm.withState(VmState.ERROR)
                    .withProcess(Optional.empty())
                    .withError(
                        Optional.of(
                            "a daemon restart interrupted its create and its removal"
                                + " failed: "
                                + e.getMessage()
                                + "; delete it"));
            vms.update(failed);
            kept.add(failed);
          }
        }
        case RUNNING, STARTING, STOPPING -> {
          Vm now =
              alive
                  ? vm.withState(VmState.RUNNING)
                  : vm.withState(VmState.STOPPED).withProcess(Optional.empty());
          vms.update(now);
          log.info(
              "VM {} ({}): {}",
              vm.name(),
              vm.id(),
              alive ? "re-adopted firecracker pid " + vm.process().get().pid() : "marked stopped");
          kept.add(now);
          (alive ? readopted : foundDead).add(now);
        }
        default -> {
          Vm now = vm.process().isPresent() && !alive ? vm.withProcess(Optional.empty()) : vm;
          if (now != vm) {
            vms.update(now);
          }
          kept.add(now);
        }
      }
    }
    removeLeakedTaps(kept);
    removeLeakedDisks(kept, dmInUse);
    removeLeakedFolders(kept);
    removeStaleSockets(kept);
    for (Vm vm : readopted) {
      hooks.started(vm);
    }
    for (Vm vm : foundDead) {
      hooks.stopped(vm);
    }
  }

  private void removeLeakedTaps(List<Vm> kept) throws InterruptedException {
    Set<String> used = kept.stream().map(Vm::tap).collect(Collectors.toSet());
    List<String> present;
    try {
      present = parts.network().listTaps();
    } catch (RuntimeException e) {
      log.warn("cannot list the host's TAP devices, so leaked ones stay: {}", e.getMessage());
      return;
    }
    for (String tap : present) {
      if (used.contains(tap) || tapPool.offer(tap)) {
        continue;
      }
      try {
        parts.network().deleteTap(tap);
        log.info("removed leaked TAP {}", tap);
      } catch (RuntimeException e) {
        log.warn("cannot remove leaked TAP {}: {}", tap, e.getMessage());
      }
    }
  }

  private void removeLeakedDisks(List<Vm> kept, boolean dmInUse) throws InterruptedException {
    List<RootDisk> inUse = kept.stream().flatMap(v -> v.rootDisk().stream()).toList();
    // dmsnap lists every hearth-* device on the host: only a daemon that has made dm disks
    // looks for leaked ones, so that a daemon without any never touches another's devices.
    List<ProvisionerKind> kinds =
        dmInUse
            ? List.of(ProvisionerKind.COPY, ProvisionerKind.DM_SNAPSHOT)
            : List.of(ProvisionerKind.COPY);
    for (ProvisionerKind kind : kinds) {
      try {
        var removed = provisioner(kind).removeLeaked(layout, inUse);
        if (!removed.isEmpty()) {
          log.info("removed leaked {} disk pieces: {}", kind, removed);
        }
      } catch (DmsnapException e) {
        log.warn("cannot remove leaked {} disks: {}", kind, e.getMessage());
      }
    }
  }

  private void removeLeakedFolders(List<Vm> kept) {
    Set<String> ids = kept.stream().map(Vm::id).collect(Collectors.toSet());
    for (Path dir : children(layout.vmsDir())) {
      if (Files.isDirectory(dir) && !ids.contains(dir.getFileName().toString())) {
        try {
          deleteTree(dir);
          log.info("removed the leaked VM folder {}", dir);
        } catch (RuntimeException e) {
          log.warn("cannot remove the leaked VM folder {}: {}", dir, e.getMessage());
        }
      }
    }
  }

  private void removeStaleSockets(List<Vm> kept) {
    Map<String, Vm> byId = kept.stream().collect(Collectors.toMap(Vm::id, v -> v));
    for (Path file : children(layout.vmSocketsDir())) {
      String name = file.getFileName().toString();
      if (!name.endsWith(".sock")) {
        continue;
      }
      Vm vm = byId.get(name.substring(0, name.length() - ".sock".length()));
      if (vm == null || vm.state() != VmState.RUNNING) {
        deleteQuietly(file);
        log.info("removed the stale API socket {}", file);
      }
    }
  }

  // ---- files ----

  private static List<Path> children(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(found::add);
    } catch (IOException e) {
      throw new DaemonException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return found;
  }

  static void deleteTree(Path dir) {
    try {
      TreeDeleter.delete(dir);
    } catch (IOException e) {
      throw new DaemonException(e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", file, e.getMessage());
    }
  }

  // ---- errors ----

  private static HearthException hostError(Exception e) {
    if (e instanceof HearthException rpc) {
      return rpc;
    }
    return HearthException.hostError(e.getMessage());
  }

  /** Host failures become host_error; our own errors pass; anything else is a bug. */
  private static RuntimeException asRpc(String doing, RuntimeException e) {
    if (e instanceof HearthException) {
      return e;
    }
    if (e instanceof FcprocException
        || e instanceof DmsnapException
        || e instanceof CoreException
        || e instanceof DaemonException
        || e instanceof SessionException) {
      return HearthException.hostError(doing + " failed: " + e.getMessage());
    }
    return e;
  }
}

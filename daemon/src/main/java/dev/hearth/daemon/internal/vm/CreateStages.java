package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Layout;
import dev.hearth.core.Names;
import dev.hearth.core.OrderedLock;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmState;
import dev.hearth.dmsnap.RootDisk;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.net.GuestNetwork;
import dev.hearth.fcproc.net.GuestNetworkFullException;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.TapGuest;
import dev.hearth.fcproc.net.TapPool;
import dev.hearth.fcproc.process.FirecrackerProcess;
import dev.hearth.imagemgr.ImageCatalog.BootFiles;
import dev.hearth.opstate.OpSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vm.create}: the reserve stage on the caller's thread, then the other stages (rootfs,
 * identity, boot, wait-ssh, ready) as an operation, and the undo of a create that failed at any
 * stage (ARCHITECTURE.md, "VMs").
 */
final class CreateStages {
  private static final Logger log = LoggerFactory.getLogger(CreateStages.class);

  static final String BASE_BOOT_ARGS = "console=ttyS0 reboot=k panic=1 pci=off ";

  private final VmService.Parts parts;
  private final Layout layout;
  private final VmStore vms;
  private final VmLookup lookup;
  private final VmQuota quota;
  private final GuestNetwork guestNetwork;
  private final TapPool tapPool;
  private final VmBoot boot;
  private final VmTransitions transitions;
  private final VmTeardown teardown;
  private final VmHooks hooks;
  private final VmEgresses egresses;

  CreateStages(
      VmService.Parts parts,
      VmStore vms,
      VmLookup lookup,
      VmQuota quota,
      GuestNetwork guestNetwork,
      TapPool tapPool,
      VmBoot boot,
      VmTransitions transitions,
      VmTeardown teardown,
      VmHooks hooks,
      VmEgresses egresses) {
    this.parts = parts;
    this.layout = parts.layout();
    this.vms = vms;
    this.lookup = lookup;
    this.quota = quota;
    this.guestNetwork = guestNetwork;
    this.tapPool = tapPool;
    this.boot = boot;
    this.transitions = transitions;
    this.teardown = teardown;
    this.hooks = hooks;
    this.egresses = egresses;
  }

  /** See {@link VmService#create}. */
  VmService.Created create(VmService.CreateRequest request) throws InterruptedException {
    BootFiles image = boot.bootFiles(request.image());
    long imageBytes = VmFiles.size(image.rootfs());
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
    long diskBytes = request.diskSizeBytes().orElse(imageBytes);
    quota.checkOneVm(request.vcpus(), request.memoryMib(), diskBytes);
    boot.ensureNetwork();
    Vm vm = reserve(request, image, imageBytes);
    boolean started = false;
    try {
      CreateOp op = new CreateOp(vm.name());
      OpSnapshot first = parts.createOps().start(op, o -> runCreate(o, vm, image, request));
      started = true;
      return new VmService.Created(first, vm);
    } finally {
      if (!started) {
        undoCreate(vm, Optional.empty(), Optional.empty(), new DaemonException("not started"));
      }
    }
  }

  private Vm reserve(VmService.CreateRequest request, BootFiles image, long imageBytes)
      throws InterruptedException {
    String id = Names.newId();
    Vm vm;
    boolean newTap;
    try (OrderedLock.Held held = parts.locks().createVmLock().lock()) {
      if (vms.findByName(request.name()).isPresent()) {
        throw HearthException.conflict(
            "a VM named '" + request.name() + "' already exists; choose another name");
      }
      // lookup.list: a VM whose guest went down by itself counts as stopped.
      List<Vm> all = lookup.list();
      quota.checkCreate(
          all,
          request.vcpus(),
          request.memoryMib(),
          request.diskSizeBytes().orElse(imageBytes),
          !request.noStart());
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
      try {
        vms.insert(vm);
      } catch (RuntimeException e) {
        // No row names it: a pooled TAP goes back (a new name was not made yet).
        if (!newTap) {
          tapPool.offer(tap);
        }
        throw e;
      }
    }
    try {
      if (newTap) {
        parts.network().createTap(vm.tap());
      } else {
        // A pooled TAP may still be on the bridge of an earlier daemon with another bridge_name.
        parts.network().attachTap(vm.tap());
      }
      parts.network().guardTap(vm.tap(), new TapGuest(vm.mac(), Ipv4.parse(vm.ip())));
      egresses.reserve(vm, request.egress());
    } catch (RuntimeException | InterruptedException e) {
      undoCreate(vm, Optional.empty(), Optional.empty(), e);
      if (e instanceof InterruptedException interrupted) {
        throw interrupted; // a cancel or the daemon's stop, not a host error
      }
      throw VmErrors.hostError(e);
    }
    log.info(
        "reserved VM {} ({}): {} on {}, egress {}",
        vm.name(),
        vm.id(),
        vm.ip(),
        vm.tap(),
        request.egress());
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

  private String runCreate(
      CreateOp op, Vm reserved, BootFiles image, VmService.CreateRequest request) throws Exception {
    Vm vm = reserved;
    Optional<RootDisk> disk = Optional.empty();
    Optional<FirecrackerProcess> process = Optional.empty();
    try {
      op.stage("reserve", 100);
      op.log("reserved " + vm.ip() + " (" + vm.mac() + ") on " + vm.tap());
      parts.stageBarrier().reached("create.reserve");
      op.checkCancelled();

      op.stage("rootfs");
      Path dir = layout.vmDir(vm.id());
      // Synced with its parents, and the disk with the folder inside create, before the row
      // below names the disk (ARCHITECTURE.md, "Durability").
      parts.fileSync().createDirectories(dir);
      disk =
          Optional.of(
              parts
                  .provisioners()
                  .apply(parts.provisionerKind())
                  .create(vm.id(), image.rootfs(), dir, request.diskSizeBytes()));
      parts.stageBarrier().reached("create.rootfs");
      vm = vm.withRootDisk(disk.get());
      vms.update(vm);
      op.log("root disk " + disk.get().path() + " (" + disk.get().sizeBytes() + " bytes)");
      op.checkCancelled();

      op.stage("identity");
      String hostKey =
          parts
              .identity()
              .write(
                  disk.get().path(),
                  vm.name(),
                  vm.ip() + "/" + guestNetwork.cidr().prefix(),
                  guestNetwork.gateway().toString(),
                  guestNetwork.gateway().toString(),
                  authorizedKey());
      // The identity is written into the disk: on storage before a row says the VM is complete.
      parts.fileSync().file(disk.get().path());
      parts.stageBarrier().reached("create.identity");
      vms.pinHostKey(vm.id(), hostKey);
      op.log(
          "identity written: hostname "
              + vm.name()
              + ", address, SSH key and the VM's own SSH host key (pinned)");
      op.checkCancelled();

      if (request.noStart()) {
        vm = transitions.transition(vm.id(), VmState.STOPPED, Optional.empty());
        op.log("created without starting (no_start)");
        hooks.stopped(vm);
        return vm.id();
      }

      op.stage("boot");
      VmmChoice vmm = parts.vmm().get();
      op.log("VMM: " + vmm.reason());
      process = Optional.of(boot.boot("create", vm, vmm, vms::update));
      vm = vm.withProcess(Optional.of(process.get().identity())).withVmm(vmm.kind());
      parts.stageBarrier().reached("create.boot");
      op.log(
          vmm.kind().wireName() + " pid " + process.get().identity().pid() + " booted the guest");
      op.checkCancelled();

      op.stage("wait-ssh");
      parts.stageBarrier().reached("create.wait-ssh");
      boot.awaitSsh(vm);
      op.log("SSH answers at " + vm.ip() + ":22");

      op.stage("ready");
      Vm running = transitions.transition(vm.id(), VmState.RUNNING, vm.process());
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
      teardown.removeResources(vm, disk, process);
      teardown.releaseReservation(vm);
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

  private String authorizedKey() {
    Path key = layout.sshPublicKey();
    try {
      return Files.exists(key) ? Files.readString(key, StandardCharsets.UTF_8).strip() : "";
    } catch (IOException e) {
      throw new DaemonException("cannot read the daemon's public key " + key + ": " + e, e);
    }
  }
}

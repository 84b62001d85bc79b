package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Layout;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.HearthException;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.VmmKind;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.FirecrackerClient;
import dev.hearth.fcproc.client.LogLevel;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MachineConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import dev.hearth.fcproc.client.RateLimiter;
import dev.hearth.fcproc.process.FirecrackerProcess;
import dev.hearth.fcproc.process.JailedVm;
import dev.hearth.fcproc.process.Jailer;
import dev.hearth.fcproc.process.JailerCommand;
import dev.hearth.fcproc.process.LaunchSpec;
import dev.hearth.fcproc.process.VmmConfinement;
import dev.hearth.imagemgr.ImageCatalog;
import dev.hearth.imagemgr.ImageCatalog.BootFiles;
import dev.hearth.imagemgr.ImageNotFoundException;
import dev.hearth.imagemgr.ImageReadException;
import dev.hearth.session.SessionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Booting a VM, shared by create and start: the host network (set up once), the image's boot files,
 * the VMM's process configured through its API, and the wait for the guest's SSH server.
 */
final class VmBoot {
  static final int SSH_PORT = 22;

  private final VmService.Parts parts;
  private final VmJail jail;
  private final Layout layout;
  private final ImageCatalog images;
  private final Object networkOnce = new Object();
  private boolean networkReady;

  VmBoot(VmService.Parts parts, VmJail jail) {
    this.parts = parts;
    this.jail = jail;
    this.layout = parts.layout();
    this.images = new ImageCatalog(layout.imagesDir());
  }

  /** The bridge and NAT, set up once, when a VM first needs them. */
  void ensureNetwork() throws InterruptedException {
    synchronized (networkOnce) {
      if (networkReady) {
        return;
      }
      try {
        parts.network().ensure();
      } catch (RuntimeException e) {
        throw VmErrors.hostError(e);
      }
      networkReady = true;
    }
  }

  /** An image's files, and the kernel arguments its manifest records (hand-made images: none). */
  BootFiles bootFiles(String name) {
    try {
      return images.bootFiles(name);
    } catch (ImageNotFoundException e) {
      throw HearthException.notFound(e.getMessage());
    } catch (ImageReadException e) {
      throw HearthException.hostError(e.getMessage());
    }
  }

  /**
   * Spawns the VMM, hands {@code spawned} the VM with the new process (to store it at once, so that
   * a daemon killed while the guest is configured leaves a row naming the process for reconcile to
   * kill), then configures and starts the guest through its API. A daemon killed between the spawn
   * and the record leaves a VMM no row names: reconcile finds it by its console log. {@code
   * operation} ({@code create}, {@code start}) names the stage barrier's point {@code
   * <operation>.boot.spawned}, reached there.
   */
  FirecrackerProcess boot(String operation, Vm vm, VmmChoice vmm, Consumer<Vm> spawned)
      throws InterruptedException {
    // Refused before anything is made when nothing can run VMs here, naming why.
    Path binary = vmm.requireBinary();
    // Not checked again: a kernel gone since the create is refused by firecracker, naming it.
    BootFiles image = bootFilesUnchecked(vm.image());
    Path dir = layout.vmDir(vm.id());
    Path firecrackerLog = dir.resolve(VmFiles.FIRECRACKER_LOG);
    Path metrics = dir.resolve(VmFiles.METRICS);
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
    BootPaths paths =
        new BootPaths(image.kernel(), image.initrd(), vm.rootDisk().orElseThrow().path());
    Path socket = layout.vmApiSocket(vm.id());
    Optional<JailerCommand> jailer = Optional.empty();
    if (vmm.jailer().isPresent()) {
      // Undone by the caller's failure path, as the process is (VmJails).
      JailedVm jailed =
          parts
              .jailer()
              .prepare(
                  vmm.jailer().get(), binary, vm.id(), Jailer.limits(vm.vcpus(), vm.memoryMib()));
      paths = paths.inside(jailed);
      socket = jailed.chroot().apiSocket();
      jailer = Optional.of(jailed.command());
    }
    LaunchSpec spec =
        new LaunchSpec(
            vm.id(),
            socket,
            dir.resolve(VmFiles.CONSOLE_LOG),
            parts.config().consoleLogMaxSize(),
            parts.config().vmmStartTimeout(),
            firecrackerLog,
            metrics,
            parts.config().vmmLogMaxSize(),
            jailer);
    // Firecracker limits its network itself; for the QEMU launcher the TAP is held instead.
    boolean vmmLimitsNetwork = vmm.kind() == VmmKind.FIRECRACKER;
    long netRate = parts.config().vmNetBandwidth();
    parts.network().limitTap(vm.tap(), vmmLimitsNetwork ? 0 : netRate);
    Optional<RateLimiter> netLimiter =
        vmmLimitsNetwork ? RateLimiter.perSecond(netRate, 0) : Optional.empty();
    Optional<RateLimiter> diskLimiter =
        RateLimiter.perSecond(parts.config().vmDiskBandwidth(), parts.config().vmDiskIops());
    // A jailed firecracker is held by its jailer (uid, chroot, cgroup); any other VMM by VmJail.
    Optional<VmmConfinement> confinement =
        jailer.isPresent() ? Optional.empty() : jail.confine(vm, image);
    FirecrackerProcess process;
    try {
      process =
          confinement.isPresent()
              ? parts.launcher().apply(binary).spawn(spec, confinement.get())
              : parts.launcher().apply(binary).spawn(spec);
    } catch (RuntimeException | InterruptedException e) {
      try {
        jail.release(vm);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    try {
      parts.stageBarrier().reached(operation + ".boot.spawned");
      spawned.accept(vm.withProcess(Optional.of(process.identity())).withVmm(vmm.kind()));
      FirecrackerClient api = process.client();
      // Through the pipes of the cappers the launch started, which keep each log within its cap.
      api.putLogger(new LoggerConfig(spec.vmmLogTarget(), LogLevel.INFO));
      api.putMetrics(new MetricsConfig(spec.metricsTarget()));
      api.putMachineConfig(new MachineConfig(vm.vcpus(), vm.memoryMib()));
      api.putBootSource(new BootSource(paths.kernel(), Optional.of(vm.bootArgs()), paths.initrd()));
      api.putDrive(new Drive("rootfs", paths.rootDisk(), true, false, diskLimiter));
      api.putNetworkInterface(
          new NetworkInterface("eth0", vm.tap(), Optional.of(vm.mac()), netLimiter, netLimiter));
      api.instanceStart();
      return process;
    } catch (RuntimeException | InterruptedException e) {
      // Undone whole even when interrupted (a cancel): the kill waits for the process to end.
      boolean interrupted = Thread.interrupted();
      try {
        process.kill();
      } catch (RuntimeException | InterruptedException killFailure) {
        e.addSuppressed(killFailure);
        interrupted |= killFailure instanceof InterruptedException;
      }
      try {
        jail.release(vm);
      } catch (RuntimeException releaseFailure) {
        e.addSuppressed(releaseFailure);
      }
      if (interrupted && !(e instanceof InterruptedException)) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
  }

  /**
   * The files firecracker is given over its API, as it sees them: the host's paths, or inside its
   * jail, where the kernel and initrd are shared as they are and the VM's disk belongs to the VM's
   * user. (The VMM log and metrics pipes are the launch's: {@link LaunchSpec#vmmLogTarget}.)
   */
  private record BootPaths(Path kernel, Optional<Path> initrd, Path rootDisk) {
    BootPaths inside(JailedVm jailed) throws InterruptedException {
      Optional<Path> jailedInitrd =
          initrd.isPresent() ? Optional.of(jailed.share("initrd", initrd.get())) : Optional.empty();
      return new BootPaths(
          jailed.share("vmlinux", kernel), jailedInitrd, jailed.give("rootfs", rootDisk));
    }
  }

  /** Waits for the guest's SSH server; not answering in time is a timeout. */
  void awaitSsh(Vm vm) throws InterruptedException {
    try {
      parts.sshWaiter().await(vm.ip(), SSH_PORT, parts.config().sshWaitTimeout());
    } catch (DaemonException | SessionException e) {
      throw HearthException.timeout(e.getMessage());
    }
  }

  private BootFiles bootFilesUnchecked(String name) {
    try {
      return images.bootFilesUnchecked(name);
    } catch (ImageReadException e) {
      throw HearthException.hostError(e.getMessage());
    }
  }
}

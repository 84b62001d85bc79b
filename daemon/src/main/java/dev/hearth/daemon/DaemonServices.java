package dev.hearth.daemon;

import dev.hearth.core.BuildInfo;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Config;
import dev.hearth.core.HostCapacity;
import dev.hearth.core.Layout;
import dev.hearth.core.OrderedLock;
import dev.hearth.core.ResourceLimits;
import dev.hearth.core.Runner;
import dev.hearth.core.Store;
import dev.hearth.daemon.internal.imagebuild.ImageBuildOp;
import dev.hearth.daemon.internal.imagebuild.ImageBuildService;
import dev.hearth.daemon.internal.imagebuild.ImageOpsGuard;
import dev.hearth.daemon.internal.vm.CreateOp;
import dev.hearth.daemon.internal.vm.VmHook;
import dev.hearth.daemon.internal.vm.VmLocks;
import dev.hearth.daemon.internal.vm.VmService;
import dev.hearth.dmsnap.DeviceMapperProbe;
import dev.hearth.dmsnap.ProvisionerChoiceException;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.Provisioners;
import dev.hearth.dmsnap.RootDiskProvisioner;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.net.EgressPolicy;
import dev.hearth.fcproc.net.EgressRules;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.net.LinuxHostNetwork;
import dev.hearth.fcproc.net.PolicyEgressGate;
import dev.hearth.fcproc.process.FirecrackerLauncher;
import dev.hearth.fcproc.process.Jailer;
import dev.hearth.fcproc.process.ProcessTable;
import dev.hearth.fcproc.process.UserLookup;
import dev.hearth.imagemgr.BuildLeftovers;
import dev.hearth.imagemgr.DebugfsGuestIdentity;
import dev.hearth.imagemgr.ImageBuilder;
import dev.hearth.imagemgr.ImageStaging;
import dev.hearth.opstate.Registry;
import dev.hearth.session.MinaGuestDialer;
import dev.hearth.session.MinaGuestPowerOff;
import dev.hearth.session.MinaSshWaiter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition of the daemon's services: the VM lifecycle, image builds, the op pruner. */
final class DaemonServices {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** How often finished operations past their retention are pruned. */
  private static final Duration PRUNE_INTERVAL = Duration.ofMinutes(10);

  private DaemonServices() {}

  /** The VM lifecycle's parts: locks, disks, host network, firecracker, guest seams. */
  static VmService composeVms(
      Config config,
      Layout layout,
      Store store,
      Daemon.Seams seams,
      Runner runner,
      VmLocks locks,
      Registry<CreateOp> createOps,
      MinaGuestDialer dialer,
      List<VmHook> hooks,
      HostNetwork network,
      Supplier<VmmChoice> vmm)
      throws InterruptedException {
    checkDefaultEgress(config);
    ProvisionerKind kind = chooseProvisioner(config, runner);
    Map<ProvisionerKind, RootDiskProvisioner> provisioners = new ConcurrentHashMap<>();
    ProcessTable processTable = ProcessTable.procfs();
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
            resourceLimits(config, seams),
            layout,
            store,
            seams.clock(),
            locks,
            createOps,
            kind,
            k ->
                provisioners.computeIfAbsent(
                    k,
                    c ->
                        Provisioners.create(
                            c, runner, seams.clock(), seams.fileSync(), config.toolUser())),
            network,
            vmm,
            binary -> new FirecrackerLauncher(binary, processTable, seams.posix(), seams.clock()),
            adopter,
            new Jailer(
                config.jailerChrootBase(),
                config.vmUser(),
                UserLookup.of(seams.posix()),
                runner,
                seams.posix().geteuid(),
                seams.posix().getgid()),
            processTable,
            seams
                .guestIdentity()
                .orElseGet(
                    () -> new DebugfsGuestIdentity(runner, config.toolUser(), config.dnsDomain())),
            seams.sshWaiter().orElseGet(() -> new MinaSshWaiter(dialer, seams.clock())),
            seams.guestPowerOff().orElseGet(() -> new MinaGuestPowerOff(dialer)),
            hooks,
            seams.fileSync(),
            new PolicyEgressGate(egressRules(config, seams, runner), seams.clock()),
            seams.stageBarrier(),
            seams.posix(),
            config.vmUnprivileged()
                ? Cgroups.system(seams.posix(), seams.clock())
                : Cgroups.none("vm_unprivileged = false")));
  }

  /** The config's default_egress in full (the config checked only its shape). */
  private static void checkDefaultEgress(Config config) {
    try {
      EgressPolicy.parse(config.defaultEgress());
    } catch (IllegalArgumentException e) {
      throw new DaemonException(
          "config key default_egress ('" + config.defaultEgress() + "'): " + e.getMessage(), e);
    }
  }

  /**
   * The nft side of the egress policies: the seam's, else the real one in table {@code
   * <network_tag>_egress}; with a fake host network (tests) and no seam, one that finds no nft, so
   * that a test daemon never touches the host's rules (only {@code open} can then be applied).
   */
  private static EgressRules egressRules(Config config, Daemon.Seams seams, Runner runner) {
    if (seams.egressRules().isPresent()) {
      return seams.egressRules().get();
    }
    HostNetworkEnvironment environment =
        seams.hostNetwork().isPresent()
            ? HostNetworkEnvironment.system("", Path.of("/nonexistent"))
            : HostNetworkEnvironment.system();
    return new EgressRules(runner, environment, config.networkTag(), config.bridgeName());
  }

  /** The host's bridge, TAPs and NAT as the config describes them. */
  static HostNetwork linuxHostNetwork(Config config, Runner runner) {
    return new LinuxHostNetwork(
        runner,
        HostNetworkEnvironment.system(),
        config.bridgeName(),
        Ipv4Cidr.parse(config.bridgeCidr()),
        config.tapPrefix(),
        config.networkTag(),
        config.vmToVm());
  }

  static void logVmm(VmmChoice choice) {
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

  /** How long a cancelled build script gets for its trap (kill chroot processes, unmount). */
  private static final Duration IMAGE_BUILD_TERM_GRACE = Duration.ofSeconds(30);

  static ImageOpsGuard guard(OrderedLock lock) {
    return new ImageOpsGuard() {
      @Override
      public <T> T run(Callable<T> work) throws Exception {
        try (OrderedLock.Held held = lock.lock()) {
          return work.call();
        }
      }
    };
  }

  /** The config's resource limits, {@code auto} ones derived from the host. */
  static ResourceLimits resourceLimits(Config config, Daemon.Seams seams) {
    ResourceLimits limits =
        ResourceLimits.resolve(config, HostCapacity.probe(seams.hostProbe(), config.stateDir()));
    log.debug("resource limits: {}", limits);
    return limits;
  }

  static ImageBuildService composeImageBuilds(
      Config config,
      Layout layout,
      Daemon.Seams seams,
      Runner runner,
      ImageStaging staging,
      Registry<ImageBuildOp> ops,
      ImageOpsGuard guard)
      throws InterruptedException {
    ResourceLimits limits = resourceLimits(config, seams);
    ImageBuilder builder =
        new ImageBuilder(
            seams.imageBuildRunner().orElse(runner),
            seams.posix(),
            staging,
            new BuildLeftovers(Path.of("/proc"), runner, seams.posix()),
            layout.imageBuildCacheDir(),
            config.buildTimeout(),
            IMAGE_BUILD_TERM_GRACE,
            config.buildRunHostNetwork(),
            // A stand-in runner starts no processes to bound.
            seams.imageBuildRunner().isPresent()
                ? Cgroups.none("image builds run by a test seam")
                : Cgroups.system(seams.posix(), seams.clock()),
            config.buildLimits());
    // A build cut short by a crash may have left mounts and chrooted processes in its staging
    // folder: they must go before anything deletes staging folders.
    builder.sweep(layout.imageStagingDir());
    return new ImageBuildService(
        new ImageBuildService.Parts(
            ops,
            staging,
            guard,
            builder,
            layout.sshPublicKey(),
            config.defaultKernel(),
            limits.maxBuildSizeBytes(),
            limits.maxConcurrentBuilds()));
  }

  static ScheduledExecutorService startPruner(List<Registry<?>> registries) {
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

  static VersionInfo versionInfo(long pid, VmmChoice choice) {
    return new VersionInfo(
        BuildInfo.version(),
        Hearth.PROTOCOL_VERSION,
        Runtime.version().toString(),
        pid,
        Optional.of(
            new VersionInfo.Vmm(
                choice.kind().wireName(), choice.binary().map(Path::toString), choice.reason())));
  }
}

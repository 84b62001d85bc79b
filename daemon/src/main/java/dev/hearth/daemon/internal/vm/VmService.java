package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Cgroups;
import dev.hearth.core.Clock;
import dev.hearth.core.Config;
import dev.hearth.core.FileSync;
import dev.hearth.core.Layout;
import dev.hearth.core.OrderedLock;
import dev.hearth.core.Posix;
import dev.hearth.core.ResourceLimits;
import dev.hearth.core.Store;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmEgress;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.RootDiskProvisioner;
import dev.hearth.fcproc.VmmChoice;
import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.EgressPolicy;
import dev.hearth.fcproc.net.GuestNetwork;
import dev.hearth.fcproc.net.HostNetwork;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.net.PolicyEgressGate;
import dev.hearth.fcproc.net.TapPool;
import dev.hearth.fcproc.process.FirecrackerLauncher;
import dev.hearth.fcproc.process.Jailer;
import dev.hearth.fcproc.process.ProcessTable;
import dev.hearth.imagemgr.GuestIdentity;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.Registry;
import dev.hearth.session.GuestPowerOff;
import dev.hearth.session.SshWaiter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The VM lifecycle (ARCHITECTURE.md, "VMs"): create with its stages, start, stop, kill, delete, and
 * reconcile at daemon start. This class composes the lifecycle's parts and is its one entry point:
 * {@link VmLookup} (finding VMs), {@link CreateStages}, {@link VmLifecycle} (start, stop, kill,
 * delete), {@link VmBoot} (shared by create and start), {@link VmReconciler}, with {@link
 * VmTransitions} and {@link VmTeardown} under them and {@link VmErrors} mapping failures.
 *
 * <p>Concurrency: a VM's state is its claim. A create holds the row in {@code creating} and a start
 * in {@code starting} while they do slow work (disk, boot, waiting for SSH) with no lock held;
 * other operations on that VM see the state and answer {@code conflict}. Locks are taken only for
 * state changes, in the order {@code vmLocks[id] -> createVmLock -> tap pool} ({@link
 * OrderedLock}); kill and delete hold the VM's lock throughout, since they do no guest I/O.
 */
public final class VmService {
  /** What the daemon composes for the VM lifecycle. */
  public record Parts(
      Config config,
      ResourceLimits limits,
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
      Jailer jailer,
      ProcessTable processTable,
      GuestIdentity identity,
      SshWaiter sshWaiter,
      GuestPowerOff powerOff,
      List<VmHook> hooks,
      FileSync fileSync,
      PolicyEgressGate egress,
      StageBarrier stageBarrier,
      Posix posix,
      Cgroups vmCgroups) {

    /** A VM's API socket: inside its jail when it has one, else in the runtime folder. */
    Path apiSocket(String vmId) {
      return jailer.apiSocket(vmId).orElseGet(() -> layout.vmApiSocket(vmId));
    }
  }

  /** A validated create request. */
  public record CreateRequest(
      String name,
      String image,
      int vcpus,
      int memoryMib,
      OptionalLong diskSizeBytes,
      boolean noStart,
      EgressPolicy egress) {}

  /** What {@link #create} answers at once: the op as it started and the reserved VM. */
  public record Created(OpSnapshot op, Vm vm) {}

  private final Parts parts;
  private final VmStore vms;
  private final VmLookup lookup;
  private final CreateStages creates;
  private final VmLifecycle lifecycle;
  private final VmReconciler reconciler;
  private final VmEgresses egresses;
  private final VmJail jail;

  public VmService(Parts parts) {
    this.parts = parts;
    this.vms = new VmStore(parts.store());
    VmHooks hooks = new VmHooks(parts.hooks());
    TapPool tapPool = new TapPool(parts.config().tapPoolSize());
    GuestNetwork guestNetwork = new GuestNetwork(Ipv4Cidr.parse(parts.config().bridgeCidr()));
    this.lookup = new VmLookup(parts.layout(), vms, parts.processTable());
    this.jail =
        new VmJail(
            parts.config(),
            parts.layout(),
            parts.store(),
            parts.posix(),
            parts.vmCgroups(),
            parts.network());
    VmTransitions transitions =
        new VmTransitions(parts.layout(), vms, parts.locks(), jail, jails(parts));
    this.egresses = new VmEgresses(parts.egress(), vms);
    VmTeardown teardown = new VmTeardown(parts, vms, tapPool, egresses, jail);
    VmBoot boot = new VmBoot(parts, jail);
    VmQuota quota = new VmQuota(parts.limits());
    this.creates =
        new CreateStages(
            parts,
            vms,
            lookup,
            quota,
            guestNetwork,
            tapPool,
            boot,
            transitions,
            teardown,
            hooks,
            egresses);
    this.lifecycle = new VmLifecycle(parts, vms, lookup, quota, transitions, boot, teardown, hooks);
    this.reconciler = new VmReconciler(parts, vms, tapPool, teardown, hooks, egresses, jail);
  }

  /** How the running VM's VMM is confined: uid, cgroup and limits; none when not confined. */
  Optional<VmJail.Confinement> confinement(Vm vm) {
    return jail.find(vm.id());
  }

  public Registry<CreateOp> createOps() {
    return parts.createOps();
  }

  public ProvisionerKind provisionerKind() {
    return parts.provisionerKind();
  }

  /** Where image operations may be held too (crash tests). */
  StageBarrier stageBarrier() {
    return parts.stageBarrier();
  }

  VmStore store() {
    return vms;
  }

  // ---- reading ----

  /** Every VM by name, with VMs whose guest went down by itself shown as stopped. */
  public List<Vm> list() {
    return lookup.list();
  }

  /**
   * The VM named {@code ref}, or the one whose id starts with it.
   *
   * @throws HearthException not_found when none matches, invalid params naming the candidates when
   *     several do
   */
  public Vm find(String ref) {
    return lookup.find(ref);
  }

  public Path apiSocket(Vm vm) {
    return parts.apiSocket(vm.id());
  }

  static VmJails jails(Parts parts) {
    return new VmJails(parts.jailer());
  }

  public Path consoleLog(Vm vm) {
    return parts.layout().vmDir(vm.id()).resolve(VmFiles.CONSOLE_LOG);
  }

  /** Whether the VM's process runs, for streams that end when it stops. */
  public boolean isRunning(String id) {
    return lookup.isRunning(id);
  }

  // ---- changing ----

  /**
   * Reserves the name, a guest address and a TAP, then runs the remaining stages as a {@code
   * vm.create} operation.
   *
   * @throws HearthException not_found for an unknown image, conflict for a taken name, invalid
   *     params past a per-VM maximum, precondition_failed when no guest address is free or a host
   *     total (max_total_*) would be passed, host_error when the host network fails
   */
  public Created create(CreateRequest request) throws InterruptedException {
    return creates.create(request);
  }

  /**
   * Boots a stopped VM again on its disk, address, TAP and name, and waits for SSH.
   *
   * @throws HearthException conflict when it is not stopped, precondition_failed when its memory or
   *     vCPUs would pass a host total
   */
  public Vm start(String ref) throws InterruptedException {
    return lifecycle.start(ref);
  }

  /**
   * Stops a running VM gracefully ({@code SendCtrlAltDel}, then {@code poweroff} over SSH, then
   * SIGKILL when {@code timeout} ends). A VM that is not running is returned as it is.
   */
  public Vm stop(String ref, Duration timeout) throws InterruptedException {
    return lifecycle.stop(ref, timeout);
  }

  /** SIGKILLs a running VM at once. */
  public Vm kill(String ref) throws InterruptedException {
    return lifecycle.kill(ref);
  }

  /**
   * Deletes a VM and everything of it.
   *
   * @throws HearthException precondition_failed for a running VM without {@code force}
   */
  public String delete(String ref, boolean force) throws InterruptedException {
    return lifecycle.delete(ref, force);
  }

  /**
   * The egress gate that the VM DNS asks before it forwards a guest's question and tells the
   * answers (the VMs' policies, see {@link PolicyEgressGate}).
   */
  public EgressGate egressGate() {
    return parts.egress();
  }

  /** The VM's recorded egress policy, canonical text. */
  public String egressPolicy(Vm vm) {
    return egresses.policy(vm).toString();
  }

  /** The VM's egress policy, refused names and denied destinations. */
  public VmEgress egress(String ref) throws InterruptedException {
    return egresses.status(find(ref));
  }

  /**
   * Puts the VM under {@code policy} live (its next connection follows it) and records it.
   *
   * @throws HearthException host_error when nft fails (the old policy then stays)
   */
  public VmEgress setEgress(String ref, EgressPolicy policy) throws InterruptedException {
    return egresses.change(find(ref), policy);
  }

  /**
   * Brings the store and the host into agreement after a daemon start, before anything is served
   * (see {@link VmReconciler}).
   */
  public void reconcile() throws InterruptedException {
    reconciler.reconcile();
  }
}

package dev.hearth.daemon.internal.vm;

import dev.hearth.core.Config;
import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.Ops;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.Pty;
import dev.hearth.daemon.VmConfinement;
import dev.hearth.daemon.VmCreation;
import dev.hearth.daemon.VmDetails;
import dev.hearth.daemon.VmEgress;
import dev.hearth.daemon.VmSpec;
import dev.hearth.daemon.VmState;
import dev.hearth.daemon.Vms;
import dev.hearth.daemon.internal.api.GuestAccess;
import dev.hearth.daemon.internal.api.OpHandle;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.fcproc.net.EgressPolicy;
import dev.hearth.fcproc.process.ConsoleLogReader;
import dev.hearth.fcproc.process.FirecrackerLauncher;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/** {@link Vms} in-process: the typed API on {@link VmService}, the config's defaults filled in. */
public final class LocalVms implements Vms {
  /** While a followed VM runs and its log is quiet, how long between two reads. */
  private static final Duration FOLLOW_POLL = Duration.ofMillis(100);

  private final VmService service;
  private final Config config;
  private final Ops ops;
  private final GuestAccess guest;
  private final ConsoleLogReader consoleLogs = new ConsoleLogReader();

  public LocalVms(VmService service, Config config, Ops ops, GuestAccess guest) {
    this.service = service;
    this.config = config;
    this.ops = ops;
    this.guest = guest;
  }

  @Override
  public VmCreation create(VmSpec spec) throws InterruptedException {
    VmService.Created created =
        service.create(
            new VmService.CreateRequest(
                spec.name(),
                spec.image(),
                spec.vcpus().orElse(config.defaultVcpus()),
                spec.memoryMib().orElse(config.defaultMemoryMib()),
                spec.diskSizeBytes(),
                spec.noStart(),
                egressPolicy(
                    spec.egress().orElse(config.defaultEgress()), "'egress' of vm.create")));
    dev.hearth.daemon.Vm vm = toApi(created.vm());
    return new VmCreation(vm, ApiJson.op(created.op()), operation(created.op().id(), vm.id()));
  }

  /** The handle of a create operation: its result is the VM, read again when it ends. */
  public OpHandle<dev.hearth.daemon.Vm> operation(String opId, String vmId) {
    return new OpHandle<>(opId, ops, (Op end) -> toApi(service.find(vmId)));
  }

  @Override
  public List<dev.hearth.daemon.Vm> list() {
    return service.list().stream().map(LocalVms::toApi).toList();
  }

  @Override
  public VmDetails show(String ref) {
    Vm vm = service.find(ref);
    return new VmDetails(
        toApi(vm),
        service.apiSocket(vm),
        service.consoleLog(vm),
        vm.rootDisk().map(d -> d.path()),
        vm.bootArgs(),
        service.egressPolicy(vm),
        vm.state() == VmState.RUNNING
            ? service.confinement(vm).map(c -> new VmConfinement(c.uid(), c.cgroup(), c.limits()))
            : Optional.empty());
  }

  @Override
  public VmEgress egress(String vm) throws InterruptedException {
    return service.egress(vm);
  }

  @Override
  public VmEgress setEgress(String vm, String policy) throws InterruptedException {
    return service.setEgress(vm, egressPolicy(policy, "'policy' of vm.egress"));
  }

  /** The policy parsed; a bad one is {@code invalid} naming {@code param} and the bad entry. */
  private static EgressPolicy egressPolicy(String text, String param) {
    try {
      return EgressPolicy.parse(text);
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid("param " + param + ": " + e.getMessage());
    }
  }

  @Override
  public dev.hearth.daemon.Vm start(String vm) throws InterruptedException {
    return toApi(service.start(vm));
  }

  @Override
  public dev.hearth.daemon.Vm stop(String vm, Optional<Duration> timeout)
      throws InterruptedException {
    Duration t = timeout.orElse(config.stopTimeout());
    if (t.isNegative() || t.compareTo(MAX_STOP_TIMEOUT) > 0) {
      throw HearthException.invalid(
          "param 'timeout_seconds' of vm.stop must be 0 to "
              + MAX_STOP_TIMEOUT.toSeconds()
              + "; got "
              + t.toSeconds());
    }
    return toApi(service.stop(vm, t));
  }

  /** The longest stop timeout a request may give. */
  public static final Duration MAX_STOP_TIMEOUT = Duration.ofHours(24);

  @Override
  public dev.hearth.daemon.Vm kill(String vm) throws InterruptedException {
    return toApi(service.kill(vm));
  }

  @Override
  public String delete(String vm, boolean force) throws InterruptedException {
    return service.delete(vm, force);
  }

  @Override
  public byte[] logs(String ref, OptionalLong tail) {
    requireTail(tail);
    Vm vm = service.find(ref);
    return consoleLogs.tail(service.consoleLog(vm), tail.orElse(-1)).bytes();
  }

  private static void requireTail(OptionalLong tail) {
    if (tail.isPresent() && (tail.getAsLong() < 0 || tail.getAsLong() > Integer.MAX_VALUE)) {
      throw HearthException.invalid(
          "param 'tail' of vm.logs must be -1 to "
              + Integer.MAX_VALUE
              + "; got "
              + tail.getAsLong());
    }
  }

  @Override
  public void followLogs(String ref, OptionalLong tail, Consumer<byte[]> data)
      throws InterruptedException {
    followLogs(ref, tail, data, () -> {});
  }

  /**
   * Follows the VM's console log until the VM stops and its console capper has written the VMM's
   * last lines (or {@link FirecrackerLauncher#CAPPER_DRAIN} has passed); {@code quiet} runs after
   * each poll that found nothing new (the RPC adapter sends its keep-alives from there).
   */
  void followLogs(String ref, OptionalLong tail, Consumer<byte[]> data, Runnable quiet)
      throws InterruptedException {
    requireTail(tail);
    Vm vm = service.find(ref);
    ConsoleLogReader.Tail start = consoleLogs.tail(service.consoleLog(vm), tail.orElse(-1));
    ConsoleLogReader.chunks(start.bytes()).forEach(data);
    ConsoleLogReader.Position position = start.position();
    long drainPolls = FirecrackerLauncher.CAPPER_DRAIN.toMillis() / FOLLOW_POLL.toMillis();
    while (true) {
      boolean running = service.isRunning(vm.id());
      if (!running
          && drainPolls-- > 0
          && Files.exists(FirecrackerLauncher.capping(service.consoleLog(vm)))) {
        // The VMM is gone but the capper still writes what it printed last: those lines belong
        // to the followed log too.
        running = true;
      }
      ConsoleLogReader.Read read = consoleLogs.readFrom(service.consoleLog(vm), position);
      position = read.position();
      List<byte[]> chunks = ConsoleLogReader.chunks(read.bytes());
      chunks.forEach(data);
      if (!running) {
        return;
      }
      if (chunks.isEmpty()) {
        quiet.run();
      }
      Thread.sleep(FOLLOW_POLL.toMillis());
    }
  }

  @Override
  public int exec(String vm, ExecSpec spec, OutputSink out) throws InterruptedException {
    return guest.exec(vm, spec, out);
  }

  @Override
  public GuestProcess start(String vm, ExecSpec spec, OutputSink out) throws InterruptedException {
    return guest.start(vm, spec, out);
  }

  @Override
  public GuestProcess shell(String vm, Pty pty, OutputSink out) throws InterruptedException {
    return guest.shell(vm, pty, out);
  }

  @Override
  public long copyIn(String vm, String path, String name, InputStream tar)
      throws InterruptedException {
    return guest.copyIn(vm, path, name, tar);
  }

  @Override
  public long copyOut(String vm, String path, OutputStream tar) throws InterruptedException {
    return guest.copyOut(vm, path, tar);
  }

  @Override
  public CopiedOut copyOut(String vm, String path, Path destination, CopyLimits limits)
      throws InterruptedException {
    return guest.copyOut(vm, path, destination, limits);
  }

  /** A stored VM as the API shows it. */
  public static dev.hearth.daemon.Vm toApi(Vm vm) {
    return new dev.hearth.daemon.Vm(
        vm.id(),
        vm.name(),
        vm.state(),
        vm.ip(),
        vm.mac(),
        vm.tap(),
        vm.image(),
        vm.vcpus(),
        vm.memoryMib(),
        vm.diskSizeBytes(),
        vm.provisioner(),
        vm.createdAt(),
        vm.process().map(p -> OptionalLong.of(p.pid())).orElse(OptionalLong.empty()),
        vm.vmm().map(k -> k.wireName()),
        vm.state() == VmState.ERROR ? Optional.of(vm.error().orElse("")) : Optional.empty());
  }
}

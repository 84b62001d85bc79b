package dev.hearth.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.fcproc.testing.FakeFirecracker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The typed API's contract, run against both implementations ({@link HearthInProcessTest}, {@link
 * HearthSocketTest}) on the VM fixture (fake firecracker, copy disks, fake host network and guest):
 * every method's result, its errors (kind and message) and progress events. A behaviour that
 * differs between the two fails one of the subclasses.
 */
abstract class HearthContract extends HearthContractBase {
  // ---- daemon ----

  @Test
  void pingAndVersion() {
    hearth.ping();
    VersionInfo version = hearth.version();
    assertThat(version.protocolVersion()).isEqualTo(HearthClient.PROTOCOL_VERSION);
    assertThat(version.javaVersion()).isEqualTo(Runtime.version().toString());
    assertThat(version.vmm()).hasValueSatisfying(v -> assertThat(v.kind()).isNotEmpty());
  }

  /**
   * A failure is a {@link HearthException} of the same kind and message both ways; over the socket
   * it also carries the JSON-RPC code the daemon answered with, in-process it has none.
   */
  @Test
  void aDaemonErrorCarriesItsWireCodeOverTheSocketOnly() {
    Throwable thrown = catchThrowable(() -> hearth.vms().show("nope"));
    assertKind(thrown, HearthException.Kind.NOT_FOUND, "no VM named 'nope'");
    Throwable invalid =
        catchThrowable(() -> hearth.vms().stop("nope", Optional.of(Duration.ofSeconds(-1))));
    assertKind(invalid, HearthException.Kind.INVALID, "timeout_seconds");
    if (hearth instanceof RawRpc) {
      assertThat(((HearthException) thrown).wireCode()).hasValue(-32001);
      assertThat(((HearthException) invalid).wireCode()).hasValue(-32602);
    } else {
      assertThat(((HearthException) thrown).wireCode()).isEmpty();
      assertThat(((HearthException) invalid).wireCode()).isEmpty();
    }
  }

  // ---- vms ----

  @Test
  void createReservesThenTheOperationBootsTheVm() throws Exception {
    VmCreation created =
        hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE).withVcpus(3).withMemoryMib(512));
    assertThat(created.vm().name()).isEqualTo("demo");
    assertThat(created.vm().state()).isEqualTo(VmState.CREATING);
    assertThat(created.vm().ip()).isEqualTo("10.77.0.2");
    assertThat(created.vm().vcpus()).isEqualTo(3);
    assertThat(created.vm().memoryMib()).isEqualTo(512);
    assertThat(created.op().kind()).isEqualTo("vm.create");
    assertThat(created.op().target()).isEqualTo("demo");
    assertThat(created.operation().id()).isEqualTo(created.op().id());

    Vm vm = created.operation().await();
    assertThat(vm.id()).isEqualTo(created.vm().id());
    assertThat(vm.state()).isEqualTo(VmState.RUNNING);
    assertThat(vm.pid()).isPresent();
    assertThat(vm.vmm()).isPresent();
    assertThat(vm.error()).isEmpty();
    Op done = created.operation().snapshot();
    assertThat(done.state()).isEqualTo(OpState.SUCCEEDED);
    assertThat(done.finishedAt()).isPresent();
    assertThat(done.log()).last().isEqualTo("VM demo is running at 10.77.0.2");
  }

  @Test
  void createDefaultsComeFromTheConfig() throws Exception {
    Vm vm = createAndAwait("demo");
    assertThat(vm.vcpus()).isEqualTo(fx.config.defaultVcpus());
    assertThat(vm.memoryMib()).isEqualTo(fx.config.defaultMemoryMib());
    assertThat(vm.diskSizeBytes()).isEqualTo(VmFixture.IMAGE_BYTES);
    assertThat(vm.provisioner()).isEqualTo("copy");
  }

  @Test
  void watchReportsProgressUntilTheEnd() throws Exception {
    Path hold = dir.resolve("hold-ssh");
    Files.createFile(hold);
    VmCreation created = hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE));
    List<Op> seen = new CopyOnWriteArrayList<>();
    Thread releaser =
        new Thread(
            () -> {
              try {
                Await.until(
                    "a progress event in stage wait-ssh",
                    () -> seen.stream().anyMatch(op -> op.stage().equals("wait-ssh")));
                Files.delete(hold);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    releaser.start();
    Op last = created.operation().watch(seen::add);
    Await.join(releaser, "the releaser of the SSH wait");
    assertThat(seen).isNotEmpty().allSatisfy(op -> assertThat(op.finished()).isFalse());
    assertThat(seen).extracting(Op::id).containsOnly(created.op().id());
    assertThat(last.state()).isEqualTo(OpState.SUCCEEDED);
    assertThat(last.stage()).isEqualTo("ready");
  }

  @Test
  void awaitOfAFailedOperationNamesTheStageAndTheReason() throws Exception {
    fx.guest.failIdentityOf("demo");
    VmCreation created = hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE));
    Throwable thrown = catchThrowable(() -> created.operation().await());
    assertKind(thrown, HearthException.Kind.HOST_ERROR, "failed in stage identity");
    assertThat(thrown).hasMessageContaining("injected failure");
    Op op = hearth.ops().show(created.op().id());
    assertThat(op.state()).isEqualTo(OpState.FAILED);
    assertThat(op.error()).hasValueSatisfying(e -> assertThat(e.stage()).isEqualTo("identity"));
  }

  @Test
  void cancelledOperationAwaitsAsCancelled() throws Exception {
    Path hold = dir.resolve("hold-ssh");
    Files.createFile(hold);
    VmCreation created = hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE));
    Await.until(
        "the create to reach wait-ssh",
        () -> created.operation().snapshot().stage().equals("wait-ssh"));
    Op cancelling = created.operation().cancel();
    assertThat(cancelling.id()).isEqualTo(created.op().id());
    assertKind(
        catchThrowable(() -> created.operation().await()),
        HearthException.Kind.CANCELLED,
        "was cancelled");
    assertThat(hearth.vms().list()).isEmpty();
    Files.delete(hold);
  }

  @Test
  void egressIsSetAtCreateShownAndChangedLive() throws Exception {
    hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE).withEgress("NONE")).operation().await();
    assertThat(hearth.vms().show("demo").egress()).isEqualTo("none");
    VmEgress egress = hearth.vms().egress("demo");
    assertThat(egress.vm()).isEqualTo("demo");
    assertThat(egress.policy()).isEqualTo("none");
    assertThat(egress.refusedNames()).isZero();
    assertThat(egress.lastRefused()).isEmpty();
    assertThat(fx.egressNft.commands())
        .anySatisfy(
            c ->
                assertThat(new String(c.stdin().orElse(new byte[0]), UTF_8))
                    .contains("vms { 10.77.0.2 : jump vm_10_77_0_2 }")
                    .contains("reject with tcp reset"));

    VmEgress changed = hearth.vms().setEgress("demo", "allow: GitHub.com.,10.1.0.0/16");
    assertThat(changed.policy()).isEqualTo("allow:github.com,10.1.0.0/16");
    assertThat(hearth.vms().show("demo").egress()).isEqualTo("allow:github.com,10.1.0.0/16");

    assertKind(
        catchThrowable(() -> hearth.vms().setEgress("demo", "allow:ok.com,bad..name")),
        HearthException.Kind.INVALID,
        "param 'policy' of vm.egress: bad entry 'bad..name' in an egress allow list");
    assertThat(hearth.vms().egress("demo").policy()).isEqualTo("allow:github.com,10.1.0.0/16");
    assertKind(
        catchThrowable(() -> VmSpec.of("other", VmFixture.IMAGE).withEgress("closed")),
        HearthException.Kind.INVALID,
        "param 'egress' of vm.create: not an egress policy");
    assertKind(
        catchThrowable(() -> hearth.vms().egress("nope")),
        HearthException.Kind.NOT_FOUND,
        "no VM named 'nope'");

    createAndAwait("other");
    assertThat(hearth.vms().show("other").egress()).as("default_egress").isEqualTo("open");
  }

  @Test
  void listAndShow() throws Exception {
    Vm b = createAndAwait("bravo");
    hearth.vms().create(VmSpec.of("alpha", VmFixture.IMAGE).withNoStart(true)).operation().await();
    assertThat(hearth.vms().list()).extracting(Vm::name).containsExactly("alpha", "bravo");
    assertThat(hearth.vms().list().get(0).state()).isEqualTo(VmState.STOPPED);

    VmDetails details = hearth.vms().show("bravo");
    assertThat(details.vm()).isEqualTo(b);
    assertThat(details.apiSocket()).isEqualTo(fx.layout.vmApiSocket(b.id()));
    assertThat(details.consoleLog().getFileName().toString()).isEqualTo("console.log");
    assertThat(details.rootDisk()).hasValueSatisfying(p -> assertThat(p).exists());
    assertThat(details.bootArgs()).contains("ip=" + b.ip() + "::");
    assertThat(hearth.vms().show(b.id().substring(0, 6)).vm().name()).isEqualTo("bravo");
  }

  @Test
  void stopStartKillDelete() throws Exception {
    fx.guest.onPowerOff(ip -> {});
    Vm vm = createAndAwait("demo");
    Vm stopped = hearth.vms().stop("demo", Optional.of(Duration.ofSeconds(1)));
    assertThat(stopped.state()).isEqualTo(VmState.STOPPED);
    assertThat(stopped.pid()).isEmpty();
    Vm started = hearth.vms().start("demo");
    assertThat(started.state()).isEqualTo(VmState.RUNNING);
    assertThat(started.pid()).isPresent();
    Vm killed = hearth.vms().kill("demo");
    assertThat(killed.state()).isEqualTo(VmState.STOPPED);
    assertThat(hearth.vms().delete("demo", false)).isEqualTo(vm.id());
    assertThat(hearth.vms().list()).isEmpty();
  }

  @Test
  void deleteWithForceStopsARunningVm() throws Exception {
    Vm vm = createAndAwait("demo");
    assertThat(hearth.vms().delete("demo", true)).isEqualTo(vm.id());
    assertThat(hearth.vms().list()).isEmpty();
  }

  @Test
  void logsShowTheConsole() throws Exception {
    createAndAwait("demo");
    // The console log is written by the VM's console capper, a moment after the guest prints.
    Await.until(
        "the fake guest's boot line in vm logs",
        () ->
            new String(hearth.vms().logs("demo", OptionalLong.empty()), UTF_8)
                .contains(FakeFirecracker.BOOT_LINE));
    String all = new String(hearth.vms().logs("demo", OptionalLong.empty()), UTF_8);
    assertThat(all).contains(FakeFirecracker.BOOT_LINE);
    String last = new String(hearth.vms().logs("demo", OptionalLong.of(1)), UTF_8);
    assertThat(all).endsWith(last);
    assertThat(last.strip()).doesNotContain("\n");
    assertThat(hearth.vms().logs("demo", OptionalLong.of(0))).isEmpty();
    assertKind(
        catchThrowable(() -> hearth.vms().logs("nope", OptionalLong.empty())),
        HearthException.Kind.NOT_FOUND,
        "no VM named 'nope'");
    assertKind(
        catchThrowable(() -> hearth.vms().logs("demo", OptionalLong.of(-2))),
        HearthException.Kind.INVALID,
        "param 'tail' of vm.logs must be -1 to 2147483647; got -2");
  }

  @Test
  void doctorReportsChecks() {
    DoctorReport report = hearth.doctor();
    assertThat(report.checks()).isNotEmpty();
  }

  // ---- errors ----

  @Test
  void invalidSpecsAreRefusedByTheRecord() {
    assertKind(
        catchThrowable(() -> VmSpec.of("Bad_Name", "base")),
        HearthException.Kind.INVALID,
        "param 'name' of vm.create: 'Bad_Name' is not a valid name");
    assertKind(
        catchThrowable(() -> VmSpec.of("demo", "base").withVcpus(33)),
        HearthException.Kind.INVALID,
        "param 'vcpus' of vm.create must be 1 to 32; got 33");
    assertKind(
        catchThrowable(() -> VmSpec.of("demo", "base").withMemoryMib(64)),
        HearthException.Kind.INVALID,
        "param 'memory_mib' of vm.create must be 128 to 262144; got 64");
    assertKind(
        catchThrowable(() -> VmSpec.of("demo", "base").withDiskSizeBytes(0)),
        HearthException.Kind.INVALID,
        "param 'disk_size' of vm.create: must be positive; got 0");
    assertKind(
        catchThrowable(() -> ExecSpec.of()),
        HearthException.Kind.INVALID,
        "param 'argv' of vm.exec: give the command to run");
    assertKind(
        catchThrowable(
            () -> new ExecSpec(List.of("env"), java.util.Map.of("1BAD", "x"), Optional.empty())),
        HearthException.Kind.INVALID,
        "vm.exec: environment variable name '1BAD' is not valid");
  }

  @Test
  void createErrors() throws Exception {
    assertKind(
        catchThrowable(() -> hearth.vms().create(VmSpec.of("demo", "nope"))),
        HearthException.Kind.NOT_FOUND,
        "image 'nope' not found");
    createAndAwait("demo");
    assertKind(
        catchThrowable(() -> hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE))),
        HearthException.Kind.CONFLICT,
        "demo");
    assertKind(
        catchThrowable(
            () -> hearth.vms().create(VmSpec.of("small", VmFixture.IMAGE).withDiskSizeBytes(4096))),
        HearthException.Kind.INVALID,
        "disk_size");
  }

  @Test
  void lifecycleErrors() throws Exception {
    assertKind(
        catchThrowable(() -> hearth.vms().show("nope")),
        HearthException.Kind.NOT_FOUND,
        "no VM named 'nope' or with an id starting with it; see `hearth vm list`");
    assertKind(
        catchThrowable(() -> hearth.vms().start("nope")), HearthException.Kind.NOT_FOUND, "nope");
    assertKind(
        catchThrowable(() -> hearth.vms().kill("nope")), HearthException.Kind.NOT_FOUND, "nope");
    assertKind(
        catchThrowable(() -> hearth.vms().stop("nope", Optional.empty())),
        HearthException.Kind.NOT_FOUND,
        "nope");
    assertKind(
        catchThrowable(() -> hearth.vms().delete("nope", true)),
        HearthException.Kind.NOT_FOUND,
        "nope");
    createAndAwait("demo");
    assertKind(
        catchThrowable(() -> hearth.vms().start("demo")), HearthException.Kind.CONFLICT, "demo");
    assertKind(
        catchThrowable(() -> hearth.vms().delete("demo", false)),
        HearthException.Kind.PRECONDITION_FAILED,
        "demo");
    assertKind(
        catchThrowable(() -> hearth.vms().stop("demo", Optional.of(Duration.ofDays(2)))),
        HearthException.Kind.INVALID,
        "param 'timeout_seconds' of vm.stop must be 0 to 86400; got 172800");
    hearth.vms().delete("demo", true);
  }

  @Test
  void execInAVmThatDoesNotRun() throws Exception {
    hearth.vms().create(VmSpec.of("idle", VmFixture.IMAGE).withNoStart(true)).operation().await();
    assertKind(
        catchThrowable(() -> hearth.vms().exec("idle", ExecSpec.of("true"), (fd, b) -> {})),
        HearthException.Kind.PRECONDITION_FAILED,
        "VM idle is stopped, not running; start it with `hearth vm start idle`");
    assertKind(
        catchThrowable(() -> hearth.vms().exec("nope", ExecSpec.of("true"), (fd, b) -> {})),
        HearthException.Kind.NOT_FOUND,
        "no VM named 'nope'");
  }

  // ---- images ----

  private ImageRegistration debFiles() throws Exception {
    Path files = Files.createDirectories(dir.resolve("files"));
    Path kernel = Files.write(files.resolve("vmlinux"), ImageRegistryTest.elfKernel());
    Path rootfs = files.resolve("rootfs.ext4");
    Runner runner = new ProcessRunner(Posix.system(), Clock.system());
    runner.check(Command.of("truncate", "-s", "16M", rootfs.toString()));
    runner.check(Command.of("mkfs.ext4", "-q", "-F", rootfs.toString()));
    return new ImageRegistration(
        "deb", kernel, rootfs, Optional.empty(), Optional.of("quiet"), false);
  }

  @Test
  @RequiresBinary({"mkfs.ext4", "debugfs", "truncate"})
  void imagesRegisterListShowPromoteDelete() throws Exception {
    Image deb = hearth.images().register(debFiles());
    assertThat(deb.name()).isEqualTo("deb");
    assertThat(deb.bootArgs()).isEqualTo("quiet");
    assertThat(deb.kernel()).isEqualTo(fx.layout.imageDir("deb").resolve("vmlinux"));
    assertThat(deb.sha256()).containsKeys("vmlinux", "rootfs.ext4");
    assertThat(hearth.images().list()).extracting(Image::name).containsExactly("base", "deb");
    assertThat(hearth.images().show("deb")).isEqualTo(new ImageDetails(deb, List.of()));

    hearth.vms().create(VmSpec.of("demo", "deb").withNoStart(true)).operation().await();
    assertThat(hearth.images().show("deb").usedBy()).containsExactly("demo");
    assertKind(
        catchThrowable(() -> hearth.images().delete("deb")),
        HearthException.Kind.PRECONDITION_FAILED,
        "demo");
    Image promoted = hearth.images().promote("demo", "demo-img");
    assertThat(promoted.name()).isEqualTo("demo-img");
    assertThat(promoted.bootArgs()).isEqualTo("quiet");
    hearth.vms().delete("demo", false);
    assertThat(hearth.images().delete("deb")).isEqualTo("deb");
    assertThat(hearth.images().list()).extracting(Image::name).containsExactly("base", "demo-img");
  }

  @Test
  @RequiresBinary({"mkfs.ext4", "debugfs", "truncate"})
  void imageErrors() throws Exception {
    ImageRegistration files = debFiles();
    assertKind(
        catchThrowable(() -> ImageRegistration.of("x", Path.of("vmlinux"), files.rootfs())),
        HearthException.Kind.INVALID,
        "param 'kernel' of image.register: give an absolute path; got 'vmlinux'");
    assertKind(
        catchThrowable(
            () ->
                hearth
                    .images()
                    .register(ImageRegistration.of("Bad", files.kernel(), files.rootfs()))),
        HearthException.Kind.INVALID,
        "Bad");
    hearth.images().register(files);
    assertKind(
        catchThrowable(() -> hearth.images().register(files)),
        HearthException.Kind.CONFLICT,
        "deb");
    assertKind(
        catchThrowable(() -> hearth.images().show("nope")), HearthException.Kind.NOT_FOUND, "nope");
    assertKind(
        catchThrowable(() -> hearth.images().delete("nope")),
        HearthException.Kind.NOT_FOUND,
        "nope");
    assertKind(
        catchThrowable(() -> hearth.images().promote("nope", "x")),
        HearthException.Kind.NOT_FOUND,
        "nope");
  }

  // ---- ops ----

  @Test
  void opsListShowCancelWatch() throws Exception {
    VmCreation created = hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE));
    created.operation().await();
    String id = created.op().id();
    assertThat(hearth.ops().list()).extracting(Op::id).containsExactly(id);
    Op shown = hearth.ops().show(id.substring(0, 6));
    assertThat(shown.id()).isEqualTo(id);
    assertThat(shown.state()).isEqualTo(OpState.SUCCEEDED);
    assertThat(shown.result()).isPresent();
    List<Op> progress = new CopyOnWriteArrayList<>();
    Op watched = hearth.ops().watch(id, progress::add);
    assertThat(watched).isEqualTo(shown);
    assertThat(progress).isEmpty();
    assertKind(
        catchThrowable(() -> hearth.ops().cancel(id)),
        HearthException.Kind.PRECONDITION_FAILED,
        id);
  }

  @Test
  void opsErrors() {
    assertKind(
        catchThrowable(() -> hearth.ops().show("ffffff")),
        HearthException.Kind.NOT_FOUND,
        "ffffff");
    assertKind(
        catchThrowable(() -> hearth.ops().cancel("ffffff")),
        HearthException.Kind.NOT_FOUND,
        "ffffff");
    assertKind(
        catchThrowable(() -> hearth.ops().watch("ffffff", op -> {})),
        HearthException.Kind.NOT_FOUND,
        "ffffff");
  }
}

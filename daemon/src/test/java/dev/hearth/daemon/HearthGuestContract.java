package dev.hearth.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.LineListener;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.internal.imagebuild.BuildFiles;
import dev.hearth.fcproc.testing.FakeFirecracker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The typed API's contract for what streams (guest commands, copies, followed logs) and for image
 * builds, run against both implementations ({@link HearthGuestInProcessTest}, {@link
 * HearthGuestSocketTest}). The fixture's guest has no SSH server: a successful command, shell or
 * copy is {@code HearthGuestIoHostTest}'s (both implementations, as root, with an OpenSSH server),
 * {@code GuestIoHostTest}'s and {@code ReadmeExampleHostTest}'s; here every refusal is checked,
 * kind and message, before any guest I/O. An image build runs with its script played by {@link
 * #builds} (the daemon's image build runner seam): stage lines, a log line and a rootfs.
 */
abstract class HearthGuestContract extends HearthContractBase {
  private static final OutputSink IGNORE = (fd, bytes) -> {};

  /** Where the image build's script runs: a stand-in each build test scripts. */
  final FakeRunner builds = new FakeRunner();

  /** The fixture's seams with {@link #builds} as the image build runner. */
  Daemon.Seams seams(VmFixture fixture) {
    return fixture.seams().withImageBuildRunner(builds);
  }

  /** The host folder the contract's copies out of a guest would land in. */
  private Path copyDestination() throws java.io.IOException {
    return java.nio.file.Files.createDirectories(dir.resolve("copy-out"));
  }

  private static InputStream emptyTar() {
    return new ByteArrayInputStream(new byte[0]);
  }

  @Test
  void guestIoInAVmThatDoesNotRun() throws Exception {
    hearth.vms().create(VmSpec.of("idle", VmFixture.IMAGE).withNoStart(true)).operation().await();
    String stopped = "VM idle is stopped, not running; start it with `hearth vm start idle`";
    Vms vms = hearth.vms();
    assertKind(
        catchThrowable(() -> vms.start("idle", ExecSpec.of("cat"), IGNORE).awaitExit()),
        HearthException.Kind.PRECONDITION_FAILED,
        stopped);
    assertKind(
        catchThrowable(() -> vms.shell("idle", Pty.of(), IGNORE).awaitExit()),
        HearthException.Kind.PRECONDITION_FAILED,
        stopped);
    assertKind(
        catchThrowable(() -> vms.copyIn("idle", "/root", "notes", emptyTar())),
        HearthException.Kind.PRECONDITION_FAILED,
        stopped);
    assertKind(
        catchThrowable(() -> vms.copyOut("idle", "/etc/hosts", OutputStream.nullOutputStream())),
        HearthException.Kind.PRECONDITION_FAILED,
        stopped);
    assertKind(
        catchThrowable(
            () -> vms.copyOut("idle", "/etc/hosts", copyDestination(), CopyLimits.DEFAULT)),
        HearthException.Kind.PRECONDITION_FAILED,
        stopped);
    assertThat(copyDestination()).as("no private folder left").isEmptyDirectory();
  }

  @Test
  void guestIoInAVmThatDoesNotExist() {
    Vms vms = hearth.vms();
    for (ThrowingCall call :
        List.<ThrowingCall>of(
            () -> vms.start("nope", ExecSpec.of("true"), IGNORE).awaitExit(),
            () -> vms.shell("nope", Pty.of(), IGNORE).awaitExit(),
            () -> vms.copyIn("nope", "/root", "notes", emptyTar()),
            () -> vms.copyOut("nope", "/etc/hosts", OutputStream.nullOutputStream()),
            () -> vms.copyOut("nope", "/etc/hosts", copyDestination(), CopyLimits.DEFAULT),
            () -> vms.followLogs("nope", OptionalLong.empty(), bytes -> {}))) {
      assertKind(catchThrowable(call), HearthException.Kind.NOT_FOUND, "no VM named 'nope'");
    }
  }

  @Test
  void copyArgumentsAreCheckedBeforeTheGuestIsReached() throws Exception {
    createAndAwait("demo");
    assertKind(
        catchThrowable(() -> hearth.vms().copyIn("demo", "", "notes", emptyTar())),
        HearthException.Kind.INVALID,
        "param 'path' of vm.copy: give a non-empty path without NUL characters");
    assertKind(
        catchThrowable(
            () -> hearth.vms().copyOut("demo", "/a\0b", OutputStream.nullOutputStream())),
        HearthException.Kind.INVALID,
        "param 'path' of vm.copy: give a non-empty path without NUL characters");
    assertKind(
        catchThrowable(() -> hearth.vms().copyIn("demo", "/root", "a/b", emptyTar())),
        HearthException.Kind.INVALID,
        "param 'name' of vm.copy: must be one file name (no '/', not '.' or '..')");
    assertKind(
        catchThrowable(
            () -> hearth.vms().copyOut("demo", "/", copyDestination(), CopyLimits.DEFAULT)),
        HearthException.Kind.INVALID,
        "param 'path' of vm.copy: '/' names no file or folder to copy; give its name");
    assertKind(
        catchThrowable(
            () ->
                hearth
                    .vms()
                    .copyOut(
                        "demo",
                        "/etc/hosts",
                        copyDestination().resolve("a/b"),
                        CopyLimits.DEFAULT)),
        HearthException.Kind.NOT_FOUND,
        "no such folder: " + copyDestination().resolve("a"));
    assertKind(
        catchThrowable(() -> new CopyLimits(0, 1, 1)),
        HearthException.Kind.INVALID,
        "copy limits must be 1 or more");
    assertThat(copyDestination()).as("no private folder left").isEmptyDirectory();
  }

  @Test
  void execSpecsAndTerminalsAreCheckedByTheRecords() {
    assertKind(
        catchThrowable(() -> new Pty("bad term", 80, 24)),
        HearthException.Kind.INVALID,
        "vm.exec: TERM must be 1 to 64 letters");
    assertKind(
        catchThrowable(() -> ExecSpec.of("true").withPty(new Pty("xterm", 0, 24))),
        HearthException.Kind.INVALID,
        "vm.exec: ");
  }

  @Test
  void followedLogsHandOnTheConsoleUntilTheVmStops() throws Exception {
    createAndAwait("demo");
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    List<Integer> chunks = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> stopFailure = new AtomicReference<>();
    Thread stopper =
        new Thread(
            () -> {
              try {
                Await.until(
                    "the fake guest's boot line in the followed logs",
                    () -> text(seen).contains(FakeFirecracker.BOOT_LINE));
              } catch (Throwable t) {
                stopFailure.set(t);
              } finally {
                try {
                  hearth.vms().kill("demo");
                } catch (Throwable t) {
                  stopFailure.compareAndSet(null, t);
                }
              }
            },
            "contract-log-stopper");
    stopper.start();
    hearth
        .vms()
        .followLogs(
            "demo",
            OptionalLong.empty(),
            bytes -> {
              chunks.add(bytes.length);
              synchronized (seen) {
                seen.writeBytes(bytes);
              }
            });
    stopper.join();
    assertThat(stopFailure.get()).isNull();
    assertThat(text(seen)).contains(FakeFirecracker.BOOT_LINE);
    assertThat(chunks).isNotEmpty();

    // A stopped VM's log is handed on at once, and the follow ends.
    ByteArrayOutputStream last = new ByteArrayOutputStream();
    hearth.vms().followLogs("demo", OptionalLong.of(1), last::writeBytes);
    assertThat(text(seen)).endsWith(last.toString(UTF_8));
    assertKind(
        catchThrowable(() -> hearth.vms().followLogs("demo", OptionalLong.of(-2), b -> {})),
        HearthException.Kind.INVALID,
        "param 'tail' of vm.logs must be -1 to 2147483647; got -2");
  }

  private static String text(ByteArrayOutputStream out) {
    synchronized (out) {
      return out.toString(UTF_8);
    }
  }

  @Test
  void imageBuildRefusalsComeBeforeAnyOperation() {
    assertKind(
        catchThrowable(
            () ->
                new ImageBuildSpec(
                    "deb",
                    Optional.empty(),
                    List.of(),
                    Optional.of(Path.of("setup.sh")),
                    OptionalLong.empty(),
                    Optional.empty())),
        HearthException.Kind.INVALID,
        "param 'run' of image.build: give an absolute path");
    assertKind(
        catchThrowable(() -> hearth.images().build(ImageBuildSpec.of("Bad_Name"))),
        HearthException.Kind.INVALID,
        "Bad_Name");
    assertKind(
        catchThrowable(() -> hearth.images().build(ImageBuildSpec.of(VmFixture.IMAGE))),
        HearthException.Kind.CONFLICT,
        "an image named '" + VmFixture.IMAGE + "' already exists");
    assertThat(hearth.ops().list()).isEmpty();
  }

  @Test
  void anImageBuildReportsEveryStageAndEndsWithTheImage() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    builds.onStream(
        List.of(),
        (command, listener) -> {
          // Each line waits until the watcher has seen the previous state, so no stage is
          // skipped between two snapshots.
          awaitSeen("the build's watcher to start", () -> !seen.isEmpty());
          for (String line :
              List.of(
                  "hearth-stage: debootstrap",
                  "I: Retrieving Release",
                  "hearth-stage: configure",
                  "hearth-stage: mkfs")) {
            playLine(listener, line, seen);
          }
          writeRootfs();
          playLine(listener, "hearth-stage: cleanup", seen);
          listener.onLine(LineListener.Source.STDOUT, "hearth-stage: done");
          return FakeRunner.result(command, 0, "", "");
        });
    Path kernel = Files.write(dir.resolve("vmlinux"), BuildFiles.x86Elf());
    ImageBuilding building =
        hearth
            .images()
            .build(
                new ImageBuildSpec(
                    "built",
                    Optional.empty(),
                    List.of("vim"),
                    Optional.empty(),
                    OptionalLong.empty(),
                    Optional.of(kernel)));
    assertThat(building.op().kind()).isEqualTo("image.build");
    assertThat(building.op().target()).isEqualTo("built");

    Op last =
        hearth
            .ops()
            .watch(
                building.op().id(),
                op -> {
                  seen.add(op.stage() + " " + op.log().size());
                });
    assertThat(last.state()).as("%s", last.error()).isEqualTo(OpState.SUCCEEDED);
    assertThat(last.log()).containsExactly("I: Retrieving Release");
    assertThat(seen.stream().map(s -> s.substring(0, s.indexOf(' '))).distinct())
        .containsSubsequence("debootstrap", "configure", "mkfs", "cleanup")
        .doesNotContain("done");
    Image image = building.operation().await();
    assertThat(image.name()).isEqualTo("built");
    assertThat(Files.readAllBytes(image.kernel())).isEqualTo(BuildFiles.x86Elf());
    assertThat(hearth.images().show("built").image()).isEqualTo(image);
  }

  /** Sends {@code line} and waits until the watcher has seen the change it makes. */
  private static void playLine(LineListener listener, String line, List<String> seen)
      throws InterruptedException {
    int before = seen.size();
    listener.onLine(LineListener.Source.STDOUT, line);
    awaitSeen("the watcher to see '" + line + "'", () -> seen.size() > before);
  }

  private static void awaitSeen(String what, BooleanSupplier condition)
      throws InterruptedException {
    try {
      Await.until(what, condition::getAsBoolean);
    } catch (InterruptedException | RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError(what, e);
    }
  }

  /** The rootfs where the build leaves it: in the one staging folder of the build. */
  private void writeRootfs() {
    try (Stream<Path> staged = Files.list(fx.layout.imageStagingDir())) {
      List<Path> folders = staged.toList();
      assertThat(folders).as("the staging folders of one build").hasSize(1);
      Files.write(folders.get(0).resolve("rootfs.ext4"), BuildFiles.ext4());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.hearth.daemon.internal.imagebuild;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Cgroups;
import dev.hearth.core.Command;
import dev.hearth.core.Config;
import dev.hearth.core.LineListener;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeClock;
import dev.hearth.core.testing.FakePosix;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.HearthException;
import dev.hearth.imagemgr.BuildLeftovers;
import dev.hearth.imagemgr.BuildSpec;
import dev.hearth.imagemgr.ImageBuilder;
import dev.hearth.imagemgr.ImageSource;
import dev.hearth.imagemgr.ImageStaging;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.OpState;
import dev.hearth.opstate.OpWatch;
import dev.hearth.opstate.Registry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageBuildServiceTest {
  private static final List<String> SCRIPT = List.of("sh", "-c");
  private static final Duration WAIT = Duration.ofMinutes(1);
  private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDaemonKey hearth";

  @TempDir Path dir;

  private final FakeRunner runner = new FakeRunner();
  private final FakePosix posix = new FakePosix(0, 0);
  private final AtomicInteger guardUses = new AtomicInteger();
  private Registry<ImageBuildOp> ops;
  private ImageBuildService service;
  private int maxConcurrent = 2;
  private Path kernel;
  private Path proc;
  private Path key;

  @BeforeEach
  void setUp() throws Exception {
    proc = Files.createDirectories(dir.resolve("proc"));
    Files.writeString(proc.resolve("mounts"), "proc /proc proc rw 0 0\n");
    key = dir.resolve("id_ed25519.pub");
    Files.writeString(key, KEY + "\n");
    kernel = Files.write(dir.resolve("vmlinux"), BuildFiles.x86Elf());
    ops = new Registry<>(new FakeClock(), Duration.ofHours(1), java.util.Set.of(ImageBuildOp.KIND));
    // A short grace: in these tests it elapses only when a script is to be killed.
    service = service(Duration.ofMillis(200));
  }

  private ImageBuildService service(Duration termGrace) {
    ImageOpsGuard guard =
        new ImageOpsGuard() {
          @Override
          public <T> T run(java.util.concurrent.Callable<T> work) throws Exception {
            guardUses.incrementAndGet();
            return work.call();
          }
        };
    ImageStaging staging = new ImageStaging(stagingDir(), imagesDir(), runner, new FakeClock());
    ImageBuilder builder =
        new ImageBuilder(
            runner,
            posix,
            staging,
            new BuildLeftovers(proc, runner, posix),
            dir.resolve("cache"),
            Duration.ofMinutes(30),
            termGrace,
            false,
            Cgroups.none("a fake runner runs no processes to bound"),
            Config.defaults().buildLimits());
    return new ImageBuildService(
        new ImageBuildService.Parts(
            ops, staging, guard, builder, key, Optional.of(kernel), 4L << 30, maxConcurrent));
  }

  @AfterEach
  void tearDown() {
    ops.close();
  }

  private Path stagingDir() {
    return dir.resolve("state/staging");
  }

  private Path imagesDir() {
    return dir.resolve("state/images");
  }

  private static ImageBuildRequest request(String name) {
    return new ImageBuildRequest(
        name,
        Optional.empty(),
        List.of("vim"),
        Optional.empty(),
        OptionalLong.empty(),
        Optional.empty());
  }

  private static String readScript(Command command) {
    try {
      return Files.readString(Path.of(command.argv().get(command.argv().size() - 1)));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Writes rootfs.ext4 into the script's OUT folder, read back from the script itself. */
  private static void writeRootfs(Command command) {
    Path script = Path.of(command.argv().get(command.argv().size() - 1));
    try {
      for (String line : Files.readAllLines(script)) {
        if (line.startsWith("OUT=")) {
          Files.write(
              Path.of(line.substring(4).replace("'", "")).resolve("rootfs.ext4"),
              BuildFiles.ext4());
          return;
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new AssertionError("no OUT= in " + script);
  }

  private static void emit(LineListener listener, String... lines) {
    for (String line : lines) {
      listener.onLine(LineListener.Source.STDOUT, line);
    }
  }

  @Test
  void stageLinesBecomeStagesOtherLinesLogAndTheImageIsPublished() throws Exception {
    List<String> scripts = new ArrayList<>();
    runner.onStream(
        SCRIPT,
        (c, listener) -> {
          scripts.add(readScript(c));
          emit(listener, "hearth-pid: 4242", "hearth-stage: debootstrap", "I: Retrieving");
          listener.onLine(LineListener.Source.STDERR, "W: a warning");
          emit(listener, "hearth-stage: configure", "hearth-stage: mkfs");
          writeRootfs(c);
          emit(listener, "hearth-stage: cleanup", "hearth-stage: done");
          return FakeRunner.result(c, 0, "", "");
        });
    OpSnapshot started = service.start(request("base"));
    assertThat(started.kind()).isEqualTo("image.build");
    assertThat(started.target()).isEqualTo("base");

    List<String> stages = new ArrayList<>();
    OpSnapshot last;
    try (OpWatch watch = ops.watch(started.id(), 1024)) {
      do {
        last =
            watch
                .next(WAIT)
                .orElseThrow(() -> new AssertionError("no change of the build within " + WAIT));
        if (stages.isEmpty() || !stages.get(stages.size() - 1).equals(last.stage())) {
          stages.add(last.stage());
        }
      } while (!last.finished());
    }
    assertThat(last.state()).as("%s", last.error()).isEqualTo(OpState.SUCCEEDED);
    assertThat(last.result()).contains("base");
    assertThat(stages)
        .containsSubsequence("prepare", "debootstrap", "configure", "mkfs", "cleanup", "publish")
        .doesNotContain("done")
        .filteredOn(s -> !s.equals("pending"))
        .isSubsetOf(ImageBuildService.STAGES);
    assertThat(last.log()).containsExactly("I: Retrieving", "W: a warning");
    assertThat(guardUses.get()).as("claim and publish").isEqualTo(2);

    Path image = imagesDir().resolve("base");
    try (Stream<Path> files = Files.list(image)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("vmlinux", "rootfs.ext4", "manifest.json");
    }
    assertThat(Files.readAllBytes(image.resolve("vmlinux"))).isEqualTo(BuildFiles.x86Elf());
    try (Stream<Path> left = Files.list(stagingDir())) {
      assertThat(left).isEmpty();
    }

    Command command = runner.commands().get(0);
    assertThat(command.timeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(scripts)
        .singleElement()
        .asString()
        .contains(KEY)
        .contains("vim")
        .contains("DISTRO_KERNEL='no'");
  }

  @Test
  void aFailingScriptFailsTheOpAtItsStageAndLeavesNoStaging() throws Exception {
    runner.onStream(
        SCRIPT,
        (c, listener) -> {
          emit(listener, "hearth-pid: 4242", "hearth-stage: debootstrap", "E: no network");
          return FakeRunner.result(c, 1, "", "hearth: image build failed (exit 1)\n");
        });
    OpSnapshot done = ops.awaitFinish(service.start(request("base")).id(), WAIT);
    assertThat(done.state()).isEqualTo(OpState.FAILED);
    assertThat(done.error().orElseThrow().stage()).isEqualTo("debootstrap");
    assertThat(done.error().orElseThrow().message())
        .contains("exit code 1")
        .contains("stage debootstrap")
        .contains("hearth: image build failed (exit 1)");
    assertThat(done.log()).contains("E: no network");
    assertThat(Files.exists(imagesDir().resolve("base"))).isFalse();
    try (Stream<Path> left = Files.list(stagingDir())) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aScriptThatMakesNoRootfsFails() throws Exception {
    runner.onStream(SCRIPT, List.of("hearth-stage: done"), 0, "");
    OpSnapshot done = ops.awaitFinish(service.start(request("base")).id(), WAIT);
    assertThat(done.state()).isEqualTo(OpState.FAILED);
    assertThat(done.error().orElseThrow().message()).contains("rootfs.ext4");
    try (Stream<Path> left = Files.list(stagingDir())) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void cancelSendsSigtermToTheScriptsGroupThenKillsAndCleansUp() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    List<Boolean> interrupted = new ArrayList<>();
    runner.onStream(
        SCRIPT,
        (c, listener) -> {
          emit(listener, "hearth-pid: 4242", "hearth-stage: debootstrap");
          running.countDown();
          try {
            Thread.sleep(TimeUnit.MINUTES.toMillis(5)); // a script that ignores SIGTERM
          } catch (InterruptedException e) {
            interrupted.add(true); // the real runner kills the tree here
            throw e;
          }
          return FakeRunner.result(c, 0, "", "");
        });
    OpSnapshot started = service.start(request("base"));
    Await.latch(running, WAIT, "the fake script to run");
    ops.cancel(started.id());
    OpSnapshot done = ops.awaitFinish(started.id(), WAIT);

    assertThat(done.state()).isEqualTo(OpState.CANCELLED);
    assertThat(posix.signals()).contains(new FakePosix.SentSignal(-4242, Posix.Signal.SIGTERM));
    assertThat(interrupted).containsExactly(true);
    try (Stream<Path> left = Files.list(stagingDir())) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aScriptThatEndsOnSigtermIsNotKilled() throws Exception {
    // A grace that outlasts any scheduling delay: the script ends well within it.
    service = service(Await.DEFAULT);
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch terminated = new CountDownLatch(1);
    List<Boolean> interrupted = new ArrayList<>();
    runner.onStream(
        SCRIPT,
        (c, listener) -> {
          emit(listener, "hearth-pid: 4242");
          running.countDown();
          try {
            // "the trap ran" once the test saw the SIGTERM
            Await.latch(terminated, WAIT, "the test to see the SIGTERM");
          } catch (InterruptedException e) {
            interrupted.add(true);
            throw e;
          }
          return FakeRunner.result(c, 143, "", "hearth: image build failed (exit 143)\n");
        });
    OpSnapshot started = service.start(request("base"));
    Await.latch(running, WAIT, "the fake script to run");
    Thread releaser =
        new Thread(
            () -> {
              try {
                Await.until(WAIT, "the SIGTERM", () -> !posix.signals().isEmpty());
                terminated.countDown();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    releaser.start();
    ops.cancel(started.id());
    OpSnapshot done = ops.awaitFinish(started.id(), WAIT);
    Await.join(releaser, WAIT, "the releaser");
    assertThat(done.state()).isEqualTo(OpState.CANCELLED);
    assertThat(posix.signals())
        .containsExactly(new FakePosix.SentSignal(-4242, Posix.Signal.SIGTERM));
    assertThat(interrupted).isEmpty();
  }

  @Test
  void aTakenNameIsAConflictBeforeAnyOpExists() throws Exception {
    Files.createDirectories(imagesDir().resolve("base"));
    assertThatThrownBy(() -> service.start(request("base")))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("already exists");
    assertThat(ops.list()).isEmpty();
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aPassedKernelOfARefusedBuildIsNotKeptOpen() throws Exception {
    Files.createDirectories(imagesDir().resolve("base"));
    ImageSource.Opened passed =
        new ImageSource.Opened("vmlinux", FileChannel.open(kernel, StandardOpenOption.READ));
    assertThatThrownBy(
            () ->
                service.start(
                    new ImageBuildRequest(
                        "base",
                        Optional.empty(),
                        List.of(),
                        Optional.empty(),
                        OptionalLong.empty(),
                        Optional.of(passed))))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("already exists");
    assertThat(passed.channel().isOpen()).as("the passed descriptor").isFalse();
    assertThat(openCopies()).as("the daemon's private copies still open").isEmpty();
    try (Stream<Path> left = Files.list(stagingDir())) {
      assertThat(left).as("files left in the staging folder").isEmpty();
    }
  }

  /** This process's descriptors on files in the staging folder (a copy is unlinked at once). */
  private List<String> openCopies() throws IOException {
    List<String> open = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(stagingDir().toString())) {
            open.add(target);
          }
        } catch (IOException e) {
          // The directory stream's own descriptor, closed by now.
        }
      }
    }
    return open;
  }

  @Test
  void aNameBeingBuiltIsAConflict() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    runner.onStream(
        SCRIPT,
        (c, listener) -> {
          Await.latch(release, WAIT, "the test to release the first build");
          return FakeRunner.result(c, 1, "", "");
        });
    OpSnapshot first = service.start(request("base"));
    try {
      assertThatThrownBy(() -> service.start(request("base")))
          .isInstanceOf(HearthException.class)
          .hasMessageContaining("already being built by operation " + first.id());
    } finally {
      release.countDown();
    }
    ops.awaitFinish(first.id(), WAIT);
    assertThat(ops.list()).hasSize(1);
  }

  @Test
  void buildsPastMaxConcurrentBuildsAreBusyAndTooLargeASizeIsRefused() throws Exception {
    maxConcurrent = 1;
    service = service(Duration.ofMillis(200));
    CountDownLatch release = new CountDownLatch(1);
    runner.onStream(
        SCRIPT,
        (c, listener) -> {
          Await.latch(release, WAIT, "the test to release the first build");
          return FakeRunner.result(c, 1, "", "");
        });
    OpSnapshot first = service.start(request("first"));
    try {
      assertThatThrownBy(() -> service.start(request("second")))
          .isInstanceOfSatisfying(
              HearthException.class, e -> assertThat(e.kind()).isEqualTo(HearthException.Kind.BUSY))
          .hasMessageContaining("max_concurrent_builds = 1");
    } finally {
      release.countDown();
    }
    ops.awaitFinish(first.id(), WAIT);
    assertThat(ops.list()).hasSize(1);
    assertThatThrownBy(
            () ->
                service.start(
                    new ImageBuildRequest(
                        "huge",
                        Optional.empty(),
                        List.of(),
                        Optional.empty(),
                        OptionalLong.of(1L << 50),
                        Optional.empty())))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> assertThat(e.kind()).isEqualTo(HearthException.Kind.INVALID))
        .hasMessageContaining("max_image_build_size");
    assertThat(ops.list()).hasSize(1);
  }

  @Test
  void badParamsAreRefusedBeforeAnyOpExists() {
    assertThatThrownBy(() -> service.start(request("Bad_Name")))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(
            () ->
                service.start(
                    new ImageBuildRequest(
                        "base",
                        Optional.of("ubuntu:jammy"),
                        List.of(),
                        Optional.empty(),
                        OptionalLong.empty(),
                        Optional.empty())))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("debian:<suite>");
    assertThatThrownBy(
            () ->
                service.start(
                    new ImageBuildRequest(
                        "base",
                        Optional.empty(),
                        List.of(),
                        Optional.of("x".repeat(BuildSpec.MAX_RUN_SCRIPT_BYTES + 1)),
                        OptionalLong.empty(),
                        Optional.empty())))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("--run: the script has 262145 bytes, more than the limit");
    assertThatThrownBy(
            () ->
                service.start(
                    new ImageBuildRequest(
                        "base",
                        Optional.empty(),
                        List.of(),
                        Optional.empty(),
                        OptionalLong.empty(),
                        Optional.of(ImageSource.of(dir.resolve("proc/mounts"))))))
        .isInstanceOf(HearthException.class)
        .hasMessageStartingWith("kernel:");
    assertThat(ops.list()).isEmpty();
  }
}

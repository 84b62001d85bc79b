package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.client.FirecrackerClient;
import dev.hearth.fcproc.testing.FakeFirecracker;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full in state_dir (ARCHITECTURE.md, "Faults"): the state folder is a tmpfs of {@link
 * #STATE_SIZE} mounted for the test, so every write past it fails with ENOSPC as on a full disk.
 * During a root-disk copy, an image publish, the database's writes and a running VM's console log,
 * each fault gives a clear error, leaves nothing behind, and the daemon goes on serving other VMs
 * once there is room again.
 */
@RequiresRoot
@RequiresBinary({"mount", "umount", "mkfs.ext4", "truncate"})
class DiskFullFaultHostTest {
  /** Room for the sparse base image, a dense one of {@link #DENSE_BYTES} and not two of those. */
  static final String STATE_SIZE = "16m";

  static final int DENSE_BYTES = 10 * 1024 * 1024;

  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());

  @TempDir Path dir;
  private Path state;
  private boolean mounted;
  private VmFixture fx;

  @BeforeEach
  void mountSmallState() throws Exception {
    state = Files.createDirectories(dir.resolve("state"));
    runner.check(
        Command.of(
            "mount", "-t", "tmpfs", "-o", "size=" + STATE_SIZE, "hflt-state", state.toString()));
    mounted = true;
    fx =
        new VmFixture(
            dir,
            VmFixture.config(dir, Map.of(FakeFirecracker.CONSOLE_ECHO_PROPERTY, "true"))
                // The auto total is the state filesystem's size: disk full must be met, not
                // refused.
                .with(ConfigKey.MAX_TOTAL_DISK, "1G"));
    Path dense = fx.layout.imageDir("dense");
    Files.createDirectories(dense);
    Files.writeString(dense.resolve("vmlinux"), "not really a kernel\n");
    Files.write(dense.resolve("rootfs.ext4"), randomBytes(DENSE_BYTES));
    fx.start();
  }

  @AfterEach
  void unmount() throws Exception {
    try {
      if (fx != null) {
        fx.close();
      }
    } finally {
      if (mounted) {
        // A failed test's killed VMs may hold their console logs open for a moment.
        Await.until(
            "the test's state tmpfs " + state + " to unmount",
            () -> runner.run(Command.of("umount", state.toString())).ok());
      }
    }
  }

  @Test
  void aRootDiskCopyThatFillsTheDiskFailsWholeAndTheNextCreateWorks() throws Exception {
    JsonNode op = createAndWait("big", "dense");

    assertThat(op.path("state").asText()).isEqualTo("failed");
    assertThat(op.path("error").path("stage").asText()).isEqualTo("rootfs");
    assertThat(op.path("error").path("message").asText()).contains("No space left on device");
    assertNothingLeft();

    assertSecondVmWorks();
  }

  @Test
  void anImagePublishThatFillsTheDiskFailsWholeAndLeavesNoStaging() throws Exception {
    Path files = Files.createDirectories(dir.resolve("files"));
    Path kernel = Files.write(files.resolve("vmlinux"), ImageRegistryTest.elfKernel());
    Path rootfs = files.resolve("rootfs.ext4");
    runner.check(Command.of("truncate", "-s", "12M", rootfs.toString()));
    runner.check(Command.of("mkfs.ext4", "-q", "-F", "-E", "nodiscard", rootfs.toString()));
    try (OutputStream out =
        Files.newOutputStream(rootfs, java.nio.file.StandardOpenOption.APPEND)) {
      out.write(randomBytes(DENSE_BYTES)); // dense: the copy into staging needs the room
    }
    runner.check(Command.of("truncate", "-s", "24M", rootfs.toString()));

    assertThatThrownBy(
            () ->
                fx.callWithFiles(
                    "image.register",
                    "{\"name\": \"full\", \"kernel_fd\": 0, \"rootfs_fd\": 1}",
                    kernel,
                    rootfs))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("No space left on device");

    assertThat(fx.layout.imageDir("full")).doesNotExist();
    assertThat(VmAssertions.children(fx.layout.imageStagingDir())).isEmpty();
    assertThat(fx.call("image.list", "{}").toString()).doesNotContain("\"full\"");
    assertSecondVmWorks();
  }

  @Test
  void databaseWritesOnAFullDiskFailClearlyAndTheDaemonRecovers() throws Exception {
    assertThat(fx.createAndWait("one", "").path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.createAndWait("two", "\"no_start\": true").path("state").asText())
        .isEqualTo("succeeded");
    Path filler = fill();

    // Each call writes rows that do not fit: each fails with an answer naming the cause.
    // The reserve stage's row does not fit: refused before anything is made.
    assertThat(failure(() -> fx.create("three", "")))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("vm.create failed: the state database")
        .hasMessageContaining("database or disk is full");
    assertThat(failure(() -> fx.call("vm.start", "{\"vm\": \"two\"}")))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining(
            "vm.start failed: the state database: database " + fx.layout.database())
        .hasMessageContaining("database or disk is full");
    assertThat(failure(() -> fx.call("vm.stop", "{\"vm\": \"one\"}")))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("database or disk is full");
    // Nothing changed: the running VM runs on, the stopped one is stopped (not stuck starting).
    JsonNode during = fx.call("vm.list", "{}").path("vms");
    assertThat(during).hasSize(2);
    assertThat(during.get(0).path("state").asText()).isEqualTo("running");
    assertThat(during.get(1).path("state").asText()).isEqualTo("stopped");

    Files.delete(filler);
    for (JsonNode op : fx.call("op.list", "{}").path("ops")) {
      assertThat(op.path("state").asText()).as("op %s", op).isNotEqualTo("running");
    }
    fx.call("vm.delete", "{\"vm\": \"one\", \"force\": true}");
    fx.call("vm.delete", "{\"vm\": \"two\", \"force\": true}");
    assertNothingLeft();
    assertSecondVmWorks();
  }

  /**
   * The disk fills in the middle of a start (after the row said {@code starting}): the start fails,
   * its VMM is killed, and the VM reads as stopped although its row could not say so, rather than
   * {@code starting} until the daemon restarts; with room again it starts.
   */
  @Test
  void aStartThatTheDiskFillsUnderEndsStoppedAndStartsOnceThereIsRoom() throws Exception {
    assertThat(fx.createAndWait("mid", "\"no_start\": true").path("state").asText())
        .isEqualTo("succeeded");
    fx.stopDaemon();
    AtomicReference<Path> filler = new AtomicReference<>();
    fx.start(
        fx.seams()
            .withStageBarrier(
                point -> {
                  if (point.equals("start.boot.spawned") && filler.get() == null) {
                    try {
                      filler.set(fill());
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  }
                }));

    assertThat(failure(() -> fx.call("vm.start", "{\"vm\": \"mid\"}")))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("database or disk is full");
    assertThat(filler.get()).as("the disk filled at start.boot.spawned").isNotNull();
    JsonNode stopped = fx.call("vm.show", "{\"vm\": \"mid\"}");
    assertThat(stopped.path("state").asText()).isEqualTo("stopped");
    assertThat(stopped.path("pid").isMissingNode() || stopped.path("pid").isNull()).isTrue();
    VmAssertions.assertNoFakeProcesses(fx);

    Files.delete(filler.get());
    assertThat(fx.call("vm.start", "{\"vm\": \"mid\"}").path("state").asText())
        .isEqualTo("running");
    fx.call("vm.delete", "{\"vm\": \"mid\", \"force\": true}");
    assertNothingLeft();
  }

  @Test
  void aConsoleLogOnAFullDiskLosesLinesButNeitherTheVmNorItsLogWriterDies() throws Exception {
    assertThat(fx.createAndWait("con", "").path("state").asText()).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"con\"}");
    FirecrackerClient api = new FirecrackerClient(Path.of(vm.path("api_socket").asText()));
    String console = vm.path("console_log").asText();
    Path filler = fill();
    long writesBefore = consoleWrites(console);

    // The guest prints a line (the fake echoes API requests) that the full disk cannot take.
    api.describeInstance();
    // Only a write tried while the disk is full plays the fault: wait for the capper's attempt.
    Await.until(
        "the console capper of " + console + " to try writing the line while the disk is full",
        () -> consoleWrites(console) > writesBefore);
    assertThat(VmAssertions.alive(vm.path("pid").asLong()))
        .as("the VM's firecracker, its console log unwritable")
        .isTrue();
    Files.delete(filler);
    api.version();

    // A line printed once there is room reaches the log: its writer lived through the ENOSPC.
    Await.until(
        "the console line printed after the disk had room again to reach vm.logs",
        () -> logs("con").contains("hearth fake api: GET /version"));
    assertThat(fx.call("vm.show", "{\"vm\": \"con\"}").path("state").asText()).isEqualTo("running");
    fx.call("vm.delete", "{\"vm\": \"con\", \"force\": true}");
    assertNothingLeft();
    assertSecondVmWorks();
  }

  /**
   * The write calls, failed ones included, of the console capper's shells (the processes named sh
   * whose command line names the console log): the capper writes each line with printf, a builtin.
   */
  private static long consoleWrites(String console) {
    long writes = 0;
    for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
      Path proc = Path.of("/proc", Long.toString(p.pid()));
      try {
        String argv = Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1);
        if (argv.contains(console) && Files.readString(proc.resolve("comm")).strip().equals("sh")) {
          for (String line : Files.readAllLines(proc.resolve("io"))) {
            if (line.startsWith("syscw:")) {
              writes += Long.parseLong(line.substring("syscw:".length()).strip());
            }
          }
        }
      } catch (IOException gone) {
        // the process ended meanwhile
      }
    }
    return writes;
  }

  private String logs(String vm) {
    return new String(
        Base64.getDecoder()
            .decode(fx.call("vm.logs", "{\"vm\": \"" + vm + "\"}").path("data").asText()),
        StandardCharsets.UTF_8);
  }

  private JsonNode createAndWait(String name, String image) {
    JsonNode created =
        fx.call("vm.create", "{\"name\": \"" + name + "\", \"image\": \"" + image + "\"}");
    java.util.List<JsonNode> seen = fx.watch(created.path("op").path("id").asText());
    return seen.get(seen.size() - 1);
  }

  private static Throwable failure(Runnable call) {
    try {
      call.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  /** Fills the state filesystem to the last byte; deleting the returned file makes room again. */
  private Path fill() throws IOException {
    Path filler = state.resolve("filler");
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
        throw e;
      }
    }
    return filler;
  }

  /** No VM folder, root disk or partial copy, API socket, TAP or fake firecracker of no row. */
  private void assertNothingLeft() throws Exception {
    JsonNode vms = fx.call("vm.list", "{}").path("vms");
    java.util.Set<String> ids = new java.util.HashSet<>();
    vms.forEach(v -> ids.add(v.path("id").asText()));
    for (Path folder : VmAssertions.children(fx.layout.vmsDir())) {
      assertThat(ids)
          .as("a VM folder of no row: %s", folder)
          .contains(folder.getFileName().toString());
    }
    for (Path socket : VmAssertions.children(fx.layout.vmSocketsDir())) {
      if (socket.toString().endsWith(".sock")) {
        assertThat(ids)
            .as("an API socket of no row: %s", socket)
            .anyMatch(socket.toString()::contains);
      }
    }
    if (ids.isEmpty()) {
      assertThat(fx.network.listTaps()).as("TAPs").isEmpty();
      VmAssertions.assertNoFakeProcesses(fx);
    }
    assertThat(VmAssertions.children(fx.layout.imageStagingDir())).as("image staging").isEmpty();
  }

  /** Another VM is created, runs and is deleted with nothing left. */
  private void assertSecondVmWorks() throws Exception {
    JsonNode op = fx.createAndWait("second", "");
    assertThat(op.path("state").asText())
        .as("the second VM's create: %s", op)
        .isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"second\"}");
    assertThat(vm.path("state").asText()).isEqualTo("running");
    fx.call("vm.delete", "{\"vm\": \"second\", \"force\": true}");
    VmAssertions.nothingLeft(fx, vm.path("id").asText(), vm.path("pid").asLong());
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new Random(17).nextBytes(bytes);
    return bytes;
  }
}

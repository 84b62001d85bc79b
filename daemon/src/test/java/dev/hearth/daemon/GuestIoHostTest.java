package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.daemon.internal.guest.NetnsSshd;
import dev.hearth.session.GuestTarget;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vm.exec, vm.shell and vm.copy through a real daemon socket, with a real OpenSSH sshd in a network
 * namespace standing in for the guest of VM {@code demo}.
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "ip", "unshare", "tar"})
class GuestIoHostTest {
  @TempDir static Path dir;
  private static VmFixture fx;
  private static NetnsSshd sshd;

  @BeforeAll
  static void start() throws Exception {
    fx = new VmFixture(dir.resolve("daemon"));
    // The route is read at each call; sshd starts once the daemon has made its key.
    String[] host = {""};
    fx.start(fx.seams().withGuestRoute(vm -> new GuestTarget(vm.name(), host[0], 22)));
    sshd = NetnsSshd.start(dir.resolve("sshd"), Files.readString(fx.layout.sshPublicKey()).trim());
    host[0] = sshd.host();
    assertThat(fx.createAndWait("demo", "").path("state").asText()).isEqualTo("succeeded");
    assertThat(fx.createAndWait("idle", "\"no_start\": true").path("state").asText())
        .isEqualTo("succeeded");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (fx != null) {
        try {
          fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
        } finally {
          fx.close();
        }
      }
    } finally {
      if (sshd != null) {
        sshd.close();
        assertThat(sshd.leftovers()).isFalse();
      }
    }
  }

  /** What a stream produced. */
  record Outcome(JsonNode result, String out, String err) {}

  static Outcome stream(String method, String params, byte[] input) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
      RpcClient.Stream stream =
          client.openStream(method, params, (fd, data) -> (fd == 1 ? out : err).writeBytes(data));
      if (input.length > 0) {
        stream.write(input);
      }
      stream.closeInput();
      JsonNode result = VmFixture.parse(Rpc.result(stream, method));
      return new Outcome(
          result, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  static Outcome exec(String paramsAfterVm) {
    return stream("vm.exec", "{\"vm\": \"demo\", " + paramsAfterVm + "}", new byte[0]);
  }

  @Test
  void execReportsTheExitCodeAndKeepsTheStreamsApart() {
    Outcome run = exec("\"argv\": [\"sh\", \"-c\", \"echo out; echo err >&2; exit 3\"]");

    assertThat(run.result().path("exit_code").asInt()).isEqualTo(3);
    assertThat(run.out()).isEqualTo("out\n");
    assertThat(run.err()).isEqualTo("err\n");
  }

  @Test
  void execForwardsStdinUntilItsEnd() {
    Outcome run =
        stream(
            "vm.exec",
            "{\"vm\": \"demo\", \"argv\": [\"sh\", \"-c\", \"cat; echo end\"]}",
            "x\ny\n".getBytes(StandardCharsets.UTF_8));

    assertThat(run.out()).isEqualTo("x\ny\nend\n");
  }

  @Test
  void execTakesEnvironmentAndWorkingFolder() throws Exception {
    Path cwd = Files.createDirectories(dir.resolve("a folder"));
    Outcome run =
        exec(
            "\"argv\": [\"sh\", \"-c\", \"echo \\\"$A|$B\\\"; pwd\"], \"env\": {\"A\": \"1 2\","
                + " \"B\": \"$x'\"}, \"cwd\": \""
                + cwd
                + "\"");

    assertThat(run.out()).isEqualTo("1 2|$x'\n" + cwd + "\n");
  }

  @Test
  void execWithATerminal() {
    Outcome run =
        exec(
            "\"argv\": [\"sh\", \"-c\", \"stty size; test -t 1 && echo tty\"], \"tty\": true,"
                + " \"cols\": 90, \"rows\": 30");

    assertThat(run.out().replace("\r", "")).isEqualTo("30 90\ntty\n");
  }

  @Test
  void shellRunsTheLoginShellOnATerminal() {
    Outcome run =
        stream(
            "vm.shell",
            "{\"vm\": \"demo\", \"cols\": 100, \"rows\": 40}",
            "stty size\nexit 7\n".getBytes(StandardCharsets.UTF_8));

    assertThat(run.result().path("exit_code").asInt()).isEqualTo(7);
    assertThat(run.out()).contains("40 100");
  }

  @Test
  void aVmThatIsNotRunningOrUnknownIsRefused() {
    assertThatThrownBy(
            () -> stream("vm.exec", "{\"vm\": \"idle\", \"argv\": [\"true\"]}", new byte[0]))
        .isInstanceOfSatisfying(
            HearthException.class,
            e -> assertThat(e.kind().wireName()).isEqualTo("precondition_failed"))
        .hasMessageContaining("VM idle is stopped")
        .hasMessageContaining("hearth vm start idle");
    assertThatThrownBy(
            () -> stream("vm.exec", "{\"vm\": \"nope\", \"argv\": [\"true\"]}", new byte[0]))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.kind().wireName()).isEqualTo("not_found"));
    assertThatThrownBy(() -> stream("vm.exec", "{\"vm\": \"demo\", \"argv\": []}", new byte[0]))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.wireCode()).hasValue(-32602));
    assertThatThrownBy(
            () ->
                stream(
                    "vm.exec",
                    "{\"vm\": \"demo\", \"argv\": [\"true\"], \"env\": {\"1X\": \"y\"}}",
                    new byte[0]))
        .hasMessageContaining("'1X' is not valid");
  }

  @Test
  void aClientThatDisconnectsMidExecLeavesNoProcessOrChannel() throws Exception {
    int baseline = sshd.pids().size();
    String marker = "8" + (System.nanoTime() % 100000);
    HearthClient client = HearthClient.connect(fx.layout.socket());
    RpcClient.Stream stream =
        client.openStream(
            "vm.exec",
            "{\"vm\": \"demo\", \"argv\": [\"sh\", \"-c\", \"sleep " + marker + "; echo never\"]}",
            (fd, data) -> {});
    awaitCommandLines(marker, true);

    stream.close();

    awaitCommandLines(marker, false);
    Await.until(
        Duration.ofSeconds(90),
        "sshd's session process to end",
        () -> sshd.pids().size() <= baseline);
    // The daemon serves on.
    assertThat(exec("\"argv\": [\"true\"]").result().path("exit_code").asInt()).isZero();
  }

  @Test
  void copyATreeIntoTheGuestAndBackKeepsContentAndModes() throws Exception {
    Path source = dir.resolve("host/tree");
    Files.createDirectories(source.resolve("sub"));
    Files.writeString(source.resolve("a.txt"), "alpha\n");
    Files.writeString(source.resolve("sub/run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(
        source.resolve("sub/run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(
        source.resolve("sub"), PosixFilePermissions.fromString("rwx--x---"));
    Path guestDir = Files.createDirectories(dir.resolve("guest"));

    byte[] tar = pack(source.getParent(), "tree");
    JsonNode in =
        stream(
                "vm.copy",
                "{\"vm\": \"demo\", \"direction\": \"to_guest\", \"path\": \""
                    + guestDir.resolve("copied")
                    + "\", \"name\": \"tree\"}",
                tar)
            .result();
    assertThat(in.path("bytes").asLong()).isEqualTo(tar.length);
    Path copied = guestDir.resolve("copied");
    assertThat(Files.readString(copied.resolve("a.txt"))).isEqualTo("alpha\n");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(copied.resolve("sub/run.sh"))))
        .isEqualTo("rwxr-x---");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copied.resolve("sub"))))
        .isEqualTo("rwx--x---");

    // Into an existing folder: it lands inside, under its own name.
    stream(
        "vm.copy",
        "{\"vm\": \"demo\", \"direction\": \"to_guest\", \"path\": \""
            + guestDir
            + "\", \"name\": \"tree\"}",
        tar);
    assertThat(Files.readString(guestDir.resolve("tree/a.txt"))).isEqualTo("alpha\n");

    ByteArrayOutputStream back = new ByteArrayOutputStream();
    try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
      RpcClient.Stream stream =
          client.openStream(
              "vm.copy",
              "{\"vm\": \"demo\", \"direction\": \"from_guest\", \"path\": \"" + copied + "\"}",
              (fd, data) -> back.writeBytes(data));
      stream.closeInput();
      Rpc.result(stream, "vm.copy from the guest");
    }
    Path restored = Files.createDirectories(dir.resolve("host/restored"));
    unpack(restored, back.toByteArray());
    assertThat(Files.readString(restored.resolve("copied/sub/run.sh")))
        .isEqualTo("#!/bin/sh\necho hi\n");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(restored.resolve("copied/sub/run.sh"))))
        .isEqualTo("rwxr-x---");
    // Nothing of the copies' temporary folders stays.
    try (var listing = Files.list(guestDir)) {
      assertThat(listing.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("copied", "tree");
    }
  }

  @Test
  void copyNamesAMissingSourceOrDestinationFolder() throws Exception {
    assertThatThrownBy(
            () ->
                stream(
                    "vm.copy",
                    "{\"vm\": \"demo\", \"direction\": \"from_guest\", \"path\":"
                        + " \"/no/such/thing\"}",
                    new byte[0]))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.kind().wireName()).isEqualTo("not_found"))
        .hasMessageContaining("no such file or folder: /no/such/thing in VM demo");
    Path file = dir.resolve("one.txt");
    Files.writeString(file, "1");
    byte[] tar = pack(dir, "one.txt");
    assertThatThrownBy(
            () ->
                stream(
                    "vm.copy",
                    "{\"vm\": \"demo\", \"direction\": \"to_guest\", \"path\": \"/no/such/dir/x\","
                        + " \"name\": \"one.txt\"}",
                    tar))
        .isInstanceOfSatisfying(
            HearthException.class, e -> assertThat(e.kind().wireName()).isEqualTo("not_found"))
        .hasMessageContaining("no such folder: /no/such/dir in VM demo");
  }

  @Test
  void hundredMegabytesOfOutputDoNotGrowTheDaemonsHeap() throws Exception {
    Path childDir = dir.resolve("child");
    VmFixture child = new VmFixture(childDir);
    // The child daemon logs in with the key sshd knows: the first daemon's.
    Files.createDirectories(child.layout.sshDir());
    Files.setPosixFilePermissions(
        child.layout.sshDir(), PosixFilePermissions.fromString("rwx------"));
    Files.copy(fx.layout.sshPrivateKey(), child.layout.sshPrivateKey());
    Files.copy(fx.layout.sshPublicKey(), child.layout.sshPublicKey());
    Files.setPosixFilePermissions(
        child.layout.sshPrivateKey(), PosixFilePermissions.fromString("rw-------"));
    Process daemon = startChildDaemon(childDir, "-Xmx40m");
    long[] vmPid = {-1};
    try {
      HearthClient client = awaitClient(daemon, child);
      try (client) {
        JsonNode created =
            VmFixture.parse(
                Rpc.call(client, "vm.create", "{\"name\": \"big\", \"image\": \"base\"}"));
        String last =
            Rpc.call(
                client,
                "op.watch",
                "{\"op\": \"" + created.path("op").path("id").asText() + "\"}",
                (m, p) -> {});
        assertThat(VmFixture.parse(last).path("state").asText()).isEqualTo("succeeded");
        vmPid[0] =
            VmFixture.parse(Rpc.call(client, "vm.show", "{\"vm\": \"big\"}")).path("pid").asLong();
        long total = 100L * 1024 * 1024;
        AtomicLong received = new AtomicLong();
        RpcClient.Stream stream =
            client.openStream(
                "vm.exec",
                "{\"vm\": \"big\", \"argv\": [\"head\", \"-c\", \"" + total + "\", \"/dev/zero\"]}",
                (fd, data) -> received.addAndGet(data.length));
        stream.closeInput();
        JsonNode result = VmFixture.parse(Rpc.result(stream, "vm.exec of 100 MiB"));
        assertThat(result.path("exit_code").asInt()).isZero();
        assertThat(received.get()).isEqualTo(total);
      }
      assertThat(daemon.isAlive()).as("the daemon with a 40 MiB heap is alive").isTrue();
      assertThat(Files.readString(childDir.resolve("daemon.log")))
          .doesNotContain("OutOfMemoryError");
    } finally {
      if (daemon.isAlive() && vmPid[0] > 0) {
        try (HearthClient client = HearthClient.connect(child.layout.socket())) {
          Rpc.call(client, "vm.delete", "{\"vm\": \"big\", \"force\": true}");
        }
      }
      daemon.destroy();
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        Await.exit(daemon.destroyForcibly(), Await.DEFAULT, "the SIGKILLed child daemon");
      }
      // A daemon that died leaves its VM's (fake) firecracker running.
      ProcessHandle.of(vmPid[0]).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private Process startChildDaemon(Path childDir, String heap) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ProcessBuilder(
            java.toString(),
            heap,
            // A daemon that buffers fails at once rather than hanging with a dead pump thread.
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            GuestIoTestDaemonMain.class.getName(),
            childDir.toString(),
            sshd.host())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(childDir.resolve("daemon.log").toFile()))
        .start();
  }

  private static HearthClient awaitClient(Process daemon, VmFixture child) throws Exception {
    return Await.value(
        "the child daemon to answer on " + child.layout.socket(),
        () -> {
          if (!daemon.isAlive()) {
            throw new AssertionError(
                "the test daemon exited with "
                    + daemon.exitValue()
                    + ": "
                    + Files.readString(child.dir.resolve("daemon.log")));
          }
          try {
            return Optional.of(HearthClient.connect(child.layout.socket()));
          } catch (DaemonUnavailableException e) {
            return Optional.empty();
          }
        });
  }

  private static void awaitCommandLines(String marker, boolean present) throws Exception {
    // Generous: the test's "guest" is this busy host, whose every process the cancel searches.
    Await.until(
        Duration.ofSeconds(90),
        "'sleep " + marker + "' to " + (present ? "start" : "end"),
        () -> sshd.commandLines().stream().anyMatch(l -> l.contains("sleep " + marker)) == present);
  }

  static byte[] pack(Path parent, String name) throws Exception {
    Process tar =
        new ProcessBuilder("tar", "-c", "-f", "-", "-C", parent.toString(), "--", name).start();
    Await.Output packed = Await.output(tar, new byte[0], Await.DEFAULT, "tar -c of " + name);
    assertThat(packed.exitCode()).as(packed.stderr()).isZero();
    return packed.stdoutBytes();
  }

  static void unpack(Path into, byte[] archive) throws Exception {
    Process tar = new ProcessBuilder("tar", "-x", "-p", "-f", "-", "-C", into.toString()).start();
    Await.Output unpacked = Await.output(tar, archive, Await.DEFAULT, "tar -x into " + into);
    assertThat(unpacked.exitCode()).as(unpacked.stderr()).isZero();
  }
}

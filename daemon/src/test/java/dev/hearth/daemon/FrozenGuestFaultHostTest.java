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
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.session.GuestTarget;
import dev.hearth.session.SessionLayout;
import dev.hearth.session.testing.TestSshd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest that stops answering (ARCHITECTURE.md, "Faults"): VM {@code frozen}'s guest is a real
 * OpenSSH sshd on 127.0.0.1 and its VMM the fake firecracker; the test SIGSTOPs both (the sshd with
 * every process it forked: the connections' sshd children and the commands they run), as a VMM
 * stopped with its guest would be, in the middle of an exec and of a copy. A session list of that
 * VM then ends at its guest_call_timeout (5 s here) with the timeout error; the exec and the copy,
 * which have no deadline of their own, end with the cancel error as soon as the VM is stopped or
 * deleted; stop and delete work on the frozen VMM (the SIGKILL at the end of a stop needs nothing
 * of it); and VM {@code other}, with an sshd of its own, is served throughout.
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "unshare", "kill"})
class FrozenGuestFaultHostTest {
  private static final Duration ENDS_AT_ONCE = Duration.ofSeconds(10);

  @TempDir Path dir;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private VmFixture fx;
  private final Map<String, TestSshd> sshds = new java.util.HashMap<>();
  private final List<Long> stopped = new ArrayList<>();

  @BeforeEach
  void start(TestInfo test) throws Exception {
    Path daemonDir = dir.resolve("daemon");
    // Keepalives every second for the test of them; the default (15 s, 4 missed) for the others,
    // which end their calls long before a minute.
    String keepalive =
        test.getTags().contains("keepalive") ? "1s" : ConfigKey.GUEST_KEEPALIVE.defaultValue();
    fx =
        new VmFixture(
            daemonDir,
            VmFixture.config(daemonDir)
                // Long enough for VM other's session list (an SSH dial and a script) on a loaded
                // host, which otherVmIsServed expects to succeed under the same deadline.
                .with(ConfigKey.GUEST_CALL_TIMEOUT, "5s")
                .with(ConfigKey.STOP_TIMEOUT, "4s")
                .with(ConfigKey.GUEST_KEEPALIVE, keepalive));
    Map<String, Integer> ports =
        Map.of("frozen", TestSshd.freePort(), "other", TestSshd.freePort());
    fx.start(
        fx.seams()
            .withGuestRoute(vm -> new GuestTarget(vm.name(), "127.0.0.1", ports.get(vm.name())))
            .withSessionLayout(
                new SessionLayout(
                    dir.resolve("guest/sessions").toString(), "/proc/sys/kernel/random/boot_id")));
    for (String vm : List.of("frozen", "other")) {
      TestSshd sshd =
          TestSshd.start(
              dir.resolve("sshd-" + vm),
              ports.get(vm),
              Files.readString(fx.layout.sshPublicKey()).trim());
      sshds.put(vm, sshd);
      sshd.awaitListening();
      assertThat(fx.createAndWait(vm, "").path("state").asText()).isEqualTo("succeeded");
    }
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (!stopped.isEmpty()) {
        signal("-CONT", stopped); // a stopped process takes its SIGTERM only once continued
      }
      if (fx != null) {
        fx.close();
      }
    } finally {
      for (TestSshd sshd : sshds.values()) {
        sshd.close();
      }
    }
  }

  /** A {@code cat} running in VM frozen through vm.exec; what it ended with. */
  private Future<Throwable> runningExec() throws Exception {
    CountDownLatch ready = new CountDownLatch(1);
    Future<Throwable> exec =
        Await.async(
            "vm.exec of cat in the guest that freezes",
            () -> {
              try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
                RpcClient.Stream stream =
                    client.openStream(
                        "vm.exec",
                        "{\"vm\": \"frozen\", \"argv\": [\"sh\", \"-c\", \"echo ready; cat\"]}",
                        (fd, data) -> {
                          if (new String(data, StandardCharsets.UTF_8).contains("ready")) {
                            ready.countDown();
                          }
                        });
                return new AssertionError("the exec returned " + Rpc.result(stream, "vm.exec"));
              } catch (RuntimeException e) {
                return e;
              }
            });
    Await.latch(ready, "the exec's command to run in the guest");
    return exec;
  }

  @Test
  @Tag("keepalive")
  void anExecIntoAGuestThatAnswersNoKeepaliveEndsByItselfSayingWhy() throws Exception {
    Future<Throwable> exec = runningExec();

    freeze("frozen");

    Throwable e =
        Await.result(
            exec, Duration.ofSeconds(60), "the exec to end once its guest missed 4 keepalives");
    assertThat(e)
        .hasMessageContaining("ended before the command reported an exit status")
        .hasMessageContaining(
            "the guest answered none of 4 SSH keepalives sent 1s apart (guest_keepalive)");
    assertThat(fx.call("vm.show", "{\"vm\": \"frozen\"}").path("state").asText())
        .as("the VM itself is left as it is")
        .isEqualTo("running");
    otherVmIsServed();
  }

  @Test
  void aFrozenGuestTimesOutItsListAndItsExecEndsWhenTheVmIsStopped() throws Exception {
    Future<Throwable> exec = runningExec();

    JsonNode frozenBefore = fx.call("vm.show", "{\"vm\": \"frozen\"}");
    freeze("frozen");

    assertThatThrownBy(() -> fx.call("session.list", "{\"vm\": \"frozen\"}"))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining(
            "the session list script in VM frozen did not end within its deadline of 5s"
                + " (guest_call_timeout)");
    otherVmIsServed();

    JsonNode vm = fx.call("vm.stop", "{\"vm\": \"frozen\"}");
    assertThat(vm.path("state").asText()).isEqualTo("stopped");
    Throwable e = Await.result(exec, ENDS_AT_ONCE, "the exec to end once its VM was stopped");
    assertThat(e).hasMessageContaining("VM frozen was stopped while a command was running");

    JsonNode shown = fx.call("vm.show", "{\"vm\": \"frozen\"}");
    fx.call("vm.delete", "{\"vm\": \"frozen\"}");
    assertThat(fx.layout.vmDir(shown.path("id").asText())).doesNotExist();
    assertVmmGone(vm.has("pid") ? vm : frozenBefore);
    otherVmIsServed();
  }

  @Test
  void aCopyIntoAFrozenGuestEndsWhenTheVmIsDeleted() throws Exception {
    HearthClient client = HearthClient.connect(fx.layout.socket());
    try {
      RpcClient.Stream stream =
          client.openStream(
              "vm.copy",
              "{\"vm\": \"frozen\", \"direction\": \"to_guest\", \"path\": \""
                  + dir.resolve("guest-copy")
                  + "\", \"name\": \"big\"}",
              (fd, data) -> {});
      Files.createDirectories(dir.resolve("guest-copy"));
      // The head of a tar of one 64 MiB file: the copy runs, waiting for the rest.
      stream.write(tarHeader("big", 64L << 20));
      stream.write(new byte[64 * 1024]);
      Future<Throwable> copy =
          Await.async(
              "vm.copy into the guest that freezes",
              () -> {
                try {
                  return new AssertionError("the copy returned " + Rpc.result(stream, "vm.copy"));
                } catch (RuntimeException e) {
                  return e;
                }
              });
      Await.until(
          "the copy's tar to run in the guest", () -> !guestCommands("frozen", "tar").isEmpty());

      freeze("frozen");
      otherVmIsServed();

      JsonNode vm = fx.call("vm.show", "{\"vm\": \"frozen\"}");
      fx.call("vm.delete", "{\"vm\": \"frozen\", \"force\": true}");
      Throwable e = Await.result(copy, ENDS_AT_ONCE, "the copy to end once its VM was deleted");
      assertThat(e).hasMessageContaining("VM frozen was deleted while");
      assertVmmGone(vm);
      assertThat(fx.layout.vmDir(vm.path("id").asText())).doesNotExist();
      otherVmIsServed();
    } finally {
      client.close();
    }
  }

  /** The VM's VMM (and its console writer, which names its API socket) and API socket are gone. */
  private void assertVmmGone(JsonNode vm) throws Exception {
    long pid = vm.path("pid").asLong();
    String id = vm.path("id").asText();
    Await.until(
        "the VMM and console writer of VM " + id + " to end",
        () ->
            !VmAssertions.alive(pid)
                && VmAssertions.fakeProcessesOf(fx).stream()
                    .noneMatch(p -> VmAssertions.commandLine(p.pid()).contains(id)));
    assertThat(fx.layout.vmApiSocket(id)).doesNotExist();
  }

  /** The exec and session calls of VM other still work. */
  private void otherVmIsServed() throws Exception {
    StringBuilder out = new StringBuilder();
    try (HearthClient client = HearthClient.connect(fx.layout.socket())) {
      RpcClient.Stream stream =
          client.openStream(
              "vm.exec",
              "{\"vm\": \"other\", \"argv\": [\"echo\", \"still here\"]}",
              (fd, data) -> out.append(new String(data, StandardCharsets.UTF_8)));
      stream.closeInput();
      assertThat(VmFixture.parse(Rpc.result(stream, "vm.exec on other")).path("exit_code").asInt())
          .isZero();
    }
    assertThat(out.toString()).contains("still here");
    assertThat(fx.call("session.list", "{\"vm\": \"other\"}").has("sessions")).isTrue();
  }

  /** SIGSTOPs the VM's VMM and its guest's sshd with everything the sshd forked. */
  private void freeze(String vm) throws Exception {
    List<Long> pids = new ArrayList<>();
    pids.add(fx.call("vm.show", "{\"vm\": \"" + vm + "\"}").path("pid").asLong());
    long sshd =
        Long.parseLong(Files.readString(dir.resolve("sshd-" + vm).resolve("sshd.pid")).trim());
    pids.add(sshd);
    ProcessHandle.of(sshd).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    signal("-STOP", pids);
    stopped.addAll(pids);
  }

  /** The processes under the VM's sshd whose command line names {@code word}. */
  private List<ProcessHandle> guestCommands(String vm, String word) throws Exception {
    long sshd =
        Long.parseLong(Files.readString(dir.resolve("sshd-" + vm).resolve("sshd.pid")).trim());
    return ProcessHandle.of(sshd).stream()
        .flatMap(ProcessHandle::descendants)
        .filter(p -> p.info().commandLine().orElse("").contains(word))
        .toList();
  }

  private void signal(String signal, List<Long> pids) throws InterruptedException {
    List<String> argv = new ArrayList<>(List.of("kill", signal));
    pids.forEach(p -> argv.add(Long.toString(p)));
    runner.run(Command.of(argv)); // some may be gone already: not an error here
  }

  /** A ustar header for one regular file of {@code size} bytes. */
  private static byte[] tarHeader(String name, long size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0000000");
    put(h, 116, "0000000");
    put(h, 124, String.format("%011o", size));
    put(h, 136, String.format("%011o", 0));
    h[156] = '0';
    put(h, 257, "ustar");
    put(h, 263, "00");
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, String.format("%06o", sum));
    h[154] = 0;
    h[155] = ' ';
    return h;
  }

  private static void put(byte[] h, int at, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, at, b.length);
  }
}

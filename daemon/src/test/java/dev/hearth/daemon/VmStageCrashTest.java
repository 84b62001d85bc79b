package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Command;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.daemon.internal.api.HearthClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The crash matrix (ARCHITECTURE.md, "Crash consistency"): a daemon in a child JVM is held at one
 * stage point ({@link FileStageBarrier}) of a create, start, stop, delete, image register or
 * promote, SIGKILLed there and started again. Then nothing is leaked (TAP, fake firecracker, API
 * socket, VM folder, image staging, row), every VM is in a true state (running with a live process,
 * stopped without one, or error with the reason), and every operation has ended, an interrupted
 * create as failed at its stage with the reason.
 */
@RequiresBinary({"mkfs.ext4", "truncate"})
class VmStageCrashTest {
  private static final String VM = "crash-a";

  @TempDir Path dir;
  private Process daemon;
  private HearthClient client;
  private VmFixture fx;
  private Thread caller;
  private volatile RuntimeException callFailure;

  @AfterEach
  void cleanUp() throws Exception {
    if (client != null) {
      client.close();
    }
    if (daemon != null) {
      Await.exit(daemon.destroyForcibly(), Await.DEFAULT, "the SIGKILLed test daemon");
    }
    if (caller != null) {
      Await.join(caller, "the call the SIGKILL interrupted");
    }
    if (fx != null) {
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  @ParameterizedTest(name = "SIGKILL at {0}")
  @ValueSource(
      strings = {
        "create.reserve",
        "create.rootfs",
        "create.identity",
        "create.boot.spawned",
        "create.boot",
        "create.wait-ssh",
        "start.boot.spawned",
        "start.boot",
        "stop",
        "delete",
        "image.register",
        "image.promote"
      })
  void aDaemonKilledAtAStageRestartsConsistentAndLeakFree(String point) throws Exception {
    fx = new VmFixture(dir);
    // Promote checks the kernel and the ext4 it copies: the fixture's dummy ones would be refused.
    Path image = fx.layout.imageDir(VmFixture.IMAGE);
    Files.write(image.resolve("vmlinux"), ImageRegistryTest.elfKernel());
    runner().check(Command.of("mkfs.ext4", "-q", "-F", image.resolve("rootfs.ext4").toString()));
    startChild();
    String operation =
        point.substring(0, point.indexOf('.') < 0 ? point.length() : point.indexOf('.'));
    // What must exist before the operation the daemon is killed in.
    switch (point) {
      case "start.boot", "start.boot.spawned", "image.promote" ->
          createAndWait(VM, ", \"no_start\": true");
      case "stop", "delete" -> createAndWait(VM, "");
      default -> {}
    }
    Files.writeString(dir.resolve("hold-stage"), point);
    String request =
        switch (operation) {
          case "create" -> call("vm.create", "{\"name\": \"" + VM + "\", \"image\": \"base\"}");
          case "start" -> call("vm.start", "{\"vm\": \"" + VM + "\"}");
          case "stop" -> call("vm.stop", "{\"vm\": \"" + VM + "\"}");
          case "delete" -> call("vm.delete", "{\"vm\": \"" + VM + "\", \"force\": true}");
          case "image" ->
              point.equals("image.register")
                  ? register()
                  : call("image.promote", "{\"vm\": \"" + VM + "\", \"name\": \"crash-img\"}");
          default -> throw new IllegalArgumentException(point);
        };
    Await.until("the daemon to be held at " + point + " (" + request + ")", this::held);
    killChild();
    Files.delete(dir.resolve("hold-stage"));

    startChild();
    assertConsistentAndLeakFree(point);
    // The daemon serves normally afterwards: the VM's name is usable and everything goes away.
    for (JsonNode vm : list()) {
      rpc("vm.delete", "{\"vm\": \"" + vm.path("id").asText() + "\", \"force\": true}");
    }
    createAndWait(VM, "");
    rpc("vm.delete", "{\"vm\": \"" + VM + "\", \"force\": true}");
    assertThat(fx.network.listTaps()).isEmpty();
    VmAssertions.assertNoFakeProcesses(fx);
  }

  private void assertConsistentAndLeakFree(String point) throws Exception {
    List<JsonNode> vms = list();
    Set<String> ids = vms.stream().map(v -> v.path("id").asText()).collect(Collectors.toSet());
    // Every VM in a true state.
    Set<String> runningIds = new HashSet<>();
    for (JsonNode vm : vms) {
      String state = vm.path("state").asText();
      assertThat(state)
          .as("state of %s after a crash at %s", vm, point)
          .isIn("running", "stopped", "error");
      if (state.equals("running")) {
        assertThat(VmAssertions.alive(vm.path("pid").asLong()))
            .as("pid of running %s", vm)
            .isTrue();
        runningIds.add(vm.path("id").asText());
      } else if (state.equals("stopped")) {
        assertThat(vm.has("pid")).as("a stopped VM with a pid: %s", vm).isFalse();
      } else {
        assertThat(vm.path("error").asText()).as("the reason of %s", vm).isNotEmpty();
      }
    }
    // What each stage's crash leaves.
    switch (point) {
      case "start.boot", "start.boot.spawned" -> {
        JsonNode vm = show(VM);
        assertThat(vm.path("state").asText()).isEqualTo("error");
        assertThat(vm.path("error").asText()).contains("interrupted its start");
      }
      case "delete" -> {
        JsonNode vm = show(VM);
        assertThat(vm.path("state").asText()).isEqualTo("error");
        assertThat(vm.path("error").asText()).contains("its delete was interrupted");
      }
      case "stop" -> assertThat(show(VM).path("state").asText()).isIn("running", "stopped");
      case "image.register", "image.promote" -> {
        assertThat(fx.layout.imageDir("crash-img")).doesNotExist();
        assertThat(VmAssertions.children(fx.layout.imageStagingDir())).isEmpty();
      }
      default -> assertThat(ids).as("VMs after a crash in their create").isEmpty();
    }
    // Nothing leaked: TAPs, fake firecrackers, sockets and folders are those of the rows.
    Set<String> taps = vms.stream().map(v -> v.path("tap").asText()).collect(Collectors.toSet());
    assertThat(fx.network.listTaps()).as("TAPs").allMatch(taps::contains);
    Await.until(
        "fake firecrackers of no running VM to end",
        () ->
            VmAssertions.fakeProcessesOf(fx).stream()
                .allMatch(p -> runningIds.stream().anyMatch(commandLine(p.pid())::contains)));
    for (Path folder : VmAssertions.children(fx.layout.vmsDir())) {
      assertThat(ids).as("a VM folder of no row").contains(folder.getFileName().toString());
    }
    for (Path socket : VmAssertions.children(fx.layout.vmSocketsDir())) {
      if (!socket.toString().endsWith(".sock")) {
        continue; // the fake firecracker's record of requests, beside its socket
      }
      String id = socket.getFileName().toString().replace(".sock", "");
      assertThat(vms)
          .as("a socket of no running VM: %s", socket)
          .anyMatch(
              v -> v.path("id").asText().equals(id) && v.path("state").asText().equals("running"));
    }
    // Every operation has ended; an interrupted create failed at its stage with the reason.
    for (JsonNode op : rpc("op.list", "{}").path("ops")) {
      assertThat(op.path("state").asText())
          .as("op %s", op)
          .isIn("succeeded", "failed", "cancelled");
    }
    if (point.startsWith("create.")) {
      List<JsonNode> failed = new ArrayList<>();
      rpc("op.list", "{}").path("ops").forEach(failed::add);
      JsonNode op = failed.get(failed.size() - 1);
      JsonNode shown = rpc("op.show", "{\"op\": \"" + op.path("id").asText() + "\"}");
      assertThat(shown.path("state").asText()).isEqualTo("failed");
      assertThat(shown.path("error").path("stage").asText()).isEqualTo(point.split("\\.")[1]);
      assertThat(shown.path("error").path("message").asText())
          .contains("interrupted by daemon restart");
    }
  }

  /** A fake firecracker and its console-log writer name their VM's API socket. */
  private static String commandLine(long pid) {
    try {
      return new String(
          Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
          StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return ""; // gone meanwhile
    }
  }

  private boolean held() {
    if (!daemon.isAlive()) {
      throw new AssertionError("the test daemon exited with " + daemon.exitValue());
    }
    if (Files.exists(dir.resolve("held-at-stage"))) {
      return true;
    }
    if (caller != null && !caller.isAlive() && callFailure != null) {
      throw new AssertionError("the call ended before the daemon was held there", callFailure);
    }
    return false;
  }

  /** Sends a call on its own connection and thread: it ends when the daemon is killed. */
  private String call(String method, String params) {
    caller =
        new Thread(
            () -> {
              try (HearthClient own = HearthClient.connect(fx.layout.socket())) {
                own.call(method, params);
              } catch (RuntimeException e) {
                callFailure = e; // expected once the daemon is SIGKILLed under the call
              }
            },
            "crash-call");
    caller.start();
    return method + " " + params;
  }

  private String register() throws Exception {
    Path files = Files.createDirectories(dir.resolve("files"));
    Path kernel = Files.write(files.resolve("vmlinux"), ImageRegistryTest.elfKernel());
    Path rootfs = files.resolve("rootfs.ext4");
    ProcessRunner runner = runner();
    runner.check(Command.of("truncate", "-s", "16M", rootfs.toString()));
    runner.check(Command.of("mkfs.ext4", "-q", "-F", rootfs.toString()));
    caller =
        new Thread(
            () -> {
              try {
                fx.callWithFiles(
                    "image.register",
                    "{\"name\": \"crash-img\", \"kernel_fd\": 0, \"rootfs_fd\": 1}",
                    kernel,
                    rootfs);
              } catch (RuntimeException e) {
                callFailure = e; // expected once the daemon is SIGKILLed under the call
              }
            },
            "crash-register");
    caller.start();
    return "image.register crash-img";
  }

  private static ProcessRunner runner() {
    return new ProcessRunner(dev.hearth.core.Posix.system(), dev.hearth.core.Clock.system());
  }

  private List<JsonNode> list() {
    List<JsonNode> vms = new ArrayList<>();
    rpc("vm.list", "{}").path("vms").forEach(vms::add);
    return vms;
  }

  private JsonNode show(String name) {
    return rpc("vm.show", "{\"vm\": \"" + name + "\"}");
  }

  private JsonNode rpc(String method, String params) {
    return VmFixture.parse(Rpc.call(client, method, params));
  }

  private void createAndWait(String name, String extra) {
    JsonNode created =
        rpc("vm.create", "{\"name\": \"" + name + "\", \"image\": \"base\"" + extra + "}");
    JsonNode last =
        VmFixture.parse(
            Rpc.call(
                client,
                "op.watch",
                "{\"op\": \"" + created.path("op").path("id").asText() + "\"}",
                (m, p) -> {}));
    assertThat(last.path("state").asText()).as("create of %s", name).isEqualTo("succeeded");
  }

  private void killChild() throws Exception {
    client.close();
    client = null;
    Await.exit(daemon.destroyForcibly(), Await.DEFAULT, "the SIGKILLed test daemon"); // SIGKILL
    daemon = null;
    if (caller != null) {
      Await.join(caller, "the call the SIGKILL interrupted");
      caller = null;
    }
  }

  private void startChild() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    daemon =
        new ProcessBuilder(
                java.toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                VmTestDaemonMain.class.getName(),
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()))
            .start();
    client =
        Await.value(
            "the test daemon to answer on " + fx.layout.socket(),
            () -> {
              if (!daemon.isAlive()) {
                throw new AssertionError(
                    "the test daemon exited with "
                        + daemon.exitValue()
                        + ": "
                        + Files.readString(dir.resolve("daemon.log")));
              }
              try {
                return Optional.of(HearthClient.connect(fx.layout.socket()));
              } catch (DaemonUnavailableException e) {
                return Optional.empty();
              }
            });
  }
}

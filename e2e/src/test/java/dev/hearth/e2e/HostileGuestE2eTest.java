package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.ShellQuote;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A guest that attacks its host through hearth, on a real daemon and a real guest (root in the
 * guest, as an agent or a build of someone else's code would be). Each step plays one hostile
 * behaviour and checks that the host holds: nothing written outside what was asked, no daemon
 * memory spent without bound, no traffic to the host or another VM beyond what hearth allows.
 *
 * <p>The setup steps (image, VM) must pass for the hostile steps to run; a hostile step's failure
 * does not stop the others, since each plays one attack on its own. The last steps delete the VMs
 * and check that nothing of the test is left on the host.
 */
@Tag("e2e")
@RequiresRoot
@RequiresBinary({"qemu-system-x86_64", "debootstrap", "mkfs.ext4", "debugfs", "xz", "tar", "ip"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(KeepLogsOnFailure.class)
class HostileGuestE2eTest implements KeepLogsOnFailure.Logs {
  private static final String IMAGE = "e2e-hostile";

  /** The hostile guest every step runs its attack in. */
  private static final String VM = "e2e-hostile-a";

  /** For exec, cp and session commands: guest round trips of a few seconds under emulation. */
  private static final Duration EXEC = Duration.ofMinutes(2);

  private E2eHost host;
  private String failedSetup;

  @BeforeAll
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void startDaemon() throws Exception {
    Path dist = Path.of(System.getProperty("hearth.e2e.dist", "../cli/target/hearth-dist"));
    Optional<Path> firecracker =
        Optional.of(System.getProperty("hearth.e2e.firecracker", ""))
            .filter(f -> !f.isEmpty())
            .map(Path::of);
    host =
        E2eHost.prepare(
            dist.toAbsolutePath().normalize(),
            firecracker,
            Path.of(System.getProperty("hearth.e2e.buildCache", "/var/cache/hearth-test/build")));
    host.startDaemon();
  }

  @BeforeEach
  void setupPassed() {
    assumeTrue(failedSetup == null, () -> "not run: the setup step " + failedSetup + " failed");
  }

  @Test
  @Order(0)
  @Timeout(value = 32, unit = TimeUnit.MINUTES)
  void buildsTheImage() throws Exception {
    runSetup(
        "buildsTheImage", () -> host.hearthOk(Duration.ofMinutes(30), "image", "build", IMAGE));
  }

  @Test
  @Order(1)
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void createsTheHostileVm() throws Exception {
    runSetup(
        "createsTheHostileVm",
        () -> {
          host.hearthOk(
              Duration.ofMinutes(10), "vm", "create", VM, "--image", IMAGE, "--memory", "512");
          assertThat(host.vm(VM).path("state").asText()).isEqualTo("running");
        });
  }

  // Hostile steps: @Order 100-199 guest -> host copies and terminal output; 200-299 bounds on
  // guest-produced bytes; 300-399 networking and host keys. Each is independent of the others.

  @Test
  @Order(100)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void theGuestIsRootInItself() throws Exception {
    CommandResult id = host.hearthOk(EXEC, "vm", "exec", VM, "--", "id", "-u");
    assertThat(id.stdout().strip()).as("the guest user every attack runs as").isEqualTo("0");
  }

  @Test
  @Order(110)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aGuestTarThatLiesGetsOnlyTheHonestFileWritten() throws Exception {
    // The guest's own tar (first on root's PATH: /usr/local/sbin) ignores what the copy script
    // asks and sends crafted members instead, beside one honest file.
    String stage =
        String.join(
            "\n",
            "set -e",
            "rm -rf /root/hostile && mkdir -p /root/hostile/d /root/hostile/a/b"
                + " /root/hostile/.git/hooks",
            "cd /root/hostile",
            "echo honest > d/honest.txt",
            "echo outside > outside.txt && ln outside.txt d/hard-out",
            "ln -s /etc/passwd d/abs-link && ln -s ../../../escaped d/up-link",
            "mknod d/null c 1 3 && mkfifo d/fifo",
            "echo suid > d/suid && chmod 4755 d/suid",
            "echo trav > trav.txt && echo abs > abs.txt && echo hook > .git/hooks/pre-commit",
            "cat > /usr/local/sbin/tar <<'EOF'",
            "#!/bin/sh",
            "exec /bin/tar -c -P -f - -C /root/hostile outside.txt d .git/hooks/pre-commit"
                + " -C /root/hostile/a/b ../../trav.txt /root/hostile/abs.txt",
            "EOF",
            "chmod 755 /usr/local/sbin/tar");
    host.hearthOk(EXEC, "vm", "exec", VM, "--", "sh", "-c", stage);
    Path sandbox = Files.createDirectories(host.work.resolve("hostile-cp/home/user"));
    Path dest = Files.createDirectories(sandbox.resolve("project/dest"));
    Files.writeString(sandbox.resolve(".bashrc"), "honest\n");
    String passwd = Files.readString(Path.of("/etc/passwd"));
    List<String> before = listing(host.work.resolve("hostile-cp"), dest);
    CommandResult copy;
    try {
      copy = host.hearth(EXEC, "vm", "cp", VM + ":/root/hostile/d", dest.toString());
    } finally {
      host.hearthOk(EXEC, "vm", "exec", VM, "--", "rm", "-f", "/usr/local/sbin/tar");
    }

    assertThat(copy.exitCode()).as(E2eHost.describe(copy)).isZero();
    assertThat(listing(dest, null))
        .as("what the copy wrote")
        .containsExactly("dest/", "dest/d/", "dest/d/honest.txt");
    assertThat(dest.resolve("d/honest.txt")).hasContent("honest");
    assertThat(listing(host.work.resolve("hostile-cp"), dest))
        .as("the host beside the destination")
        .isEqualTo(before);
    assertThat(Files.readString(Path.of("/etc/passwd"))).isEqualTo(passwd);
    assertThat(Path.of("/root/hostile")).doesNotExist();
    assertThat(copy.stderr())
        .startsWith("hearth: warning: 10 entries of the VM's archive not written: ")
        .contains("'outside.txt' (not under 'd', the entry asked for)")
        .contains("'d/hard-out' (a hard link to 'outside.txt', outside the copy)")
        .contains("'d/abs-link' (a symbolic link to '/etc/passwd', outside the copy)")
        .contains("'d/up-link' (a symbolic link to '../../../escaped', outside the copy)")
        .contains("'d/null' (a device)")
        .contains("'d/fifo' (a FIFO)")
        .contains("'d/suid' (a setuid or setgid file)")
        .contains("'.git/hooks/pre-commit' (not under 'd', the entry asked for)")
        .contains("'../../trav.txt' (a path with '..')")
        .contains("'/root/hostile/abs.txt' (an absolute path)");
    // The real tar is back: an honest copy works as before.
    assertThat(
            host.hearthOk(EXEC, "vm", "cp", VM + ":/root/hostile/d/honest.txt", dest + "/again")
                .stderr())
        .doesNotContain("warning");
    assertThat(dest.resolve("again")).hasContent("honest");
  }

  @Test
  @Order(120)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void escapeSequencesOnTheConsoleReachATerminalOnlyWithRaw() throws Exception {
    String marker = "e2e-esc-" + System.nanoTime();
    host.hearthOk(
        EXEC,
        "vm",
        "exec",
        VM,
        "--",
        "sh",
        "-c",
        "printf '" + marker + " \\033]0;pwned-title\\007\\033[31mred\\033[0m end\\n' > /dev/ttyS0");
    // Not a terminal (a pipe here): the console's bytes as they are.
    CommandResult piped =
        Await.value(
            Duration.ofMinutes(2),
            "the marker in vm logs",
            () -> {
              CommandResult r = host.hearthOk(EXEC, "vm", "logs", VM, "--tail", "200");
              return r.stdout().contains(marker) ? Optional.of(r) : Optional.empty();
            });
    assertThat(piped.stdout()).contains(marker + " \u001b]0;pwned-title\u0007\u001b[31mred");

    // A terminal (script(1) gives the CLI a pseudo-terminal): the sequences are left out.
    CommandResult onTerminal = onTerminal("vm", "logs", VM, "--tail", "200");
    assertThat(onTerminal.exitCode()).as(E2eHost.describe(onTerminal)).isZero();
    assertThat(onTerminal.stdout()).contains(marker + " red end").doesNotContain("\u001b");
    CommandResult raw = onTerminal("vm", "logs", "--raw", VM, "--tail", "200");
    assertThat(raw.stdout()).contains(marker + " \u001b]0;pwned-title\u0007");
  }

  /** {@code bin/hearth ARGS} on a pseudo-terminal of its own, through script(1). */
  private CommandResult onTerminal(String... args) throws InterruptedException {
    List<String> argv =
        new ArrayList<>(
            List.of(
                host.hearth.toString(), "--socket", host.layout.socket().toString(), "--no-color"));
    argv.addAll(List.of(args));
    return host.runner.run(
        Command.builder("script")
            .args(List.of("-q", "-e", "-c", ShellQuote.command(argv), "/dev/null"))
            .timeout(EXEC)
            .build());
  }

  /** Every path under {@code top} but those under {@code except}, folders marked with a '/'. */
  private static List<String> listing(Path top, Path except) throws IOException {
    try (Stream<Path> paths = Files.walk(top)) {
      return paths
          .filter(p -> except == null || !p.startsWith(except) || p.equals(except))
          .sorted()
          .map(
              p ->
                  top.getParent().relativize(p)
                      + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : ""))
          .toList();
    }
  }

  @Test
  @Order(900)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void deletesTheVmsAndTheImageAndLeavesNothing() throws Exception {
    for (JsonNode vm : host.hearthJson(Duration.ofSeconds(30), "vm", "list")) {
      String name = vm.path("name").asText();
      host.vm(name); // records its id for the leak check
      host.hearthOk(Duration.ofMinutes(3), "vm", "delete", "--force", name);
    }
    assertThat(host.leaks.vmLeftovers(host.vmIds())).as("left by the deleted VMs").isEmpty();
    host.hearthOk(Duration.ofMinutes(1), "image", "delete", IMAGE);
  }

  @Test
  @Order(901)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void daemonStopsAndNothingOfTheTestIsLeft() throws Exception {
    assertThat(host.stopDaemon()).as("the daemon's exit code after SIGTERM").isEqualTo(143);
    assertThat(host.removeHostNetwork()).isEmpty();
    assertThat(host.leaks.everything(host.vmIds())).as("left on the host").isEmpty();
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (host == null) {
      return;
    }
    List<String> left = host.cleanUp();
    AssertionError report =
        left.isEmpty()
            ? null
            : new FailureReport(KeepLogsOnFailure.keptRoot())
                .report(
                    getClass().getSimpleName() + ".cleanUp",
                    new AssertionError("left on the host after cleanup: " + left),
                    logs());
    host.close();
    if (report != null) {
      throw new KeepLogsOnFailure.Reported(report);
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  /** Runs a setup step; when it fails, the steps after it are skipped, naming it. */
  private void runSetup(String name, Step step) throws Exception {
    try {
      step.run();
    } catch (Exception | AssertionError e) {
      failedSetup = name;
      throw e;
    }
  }

  @Override
  public Map<String, Path> logs() {
    return host == null ? Map.of() : host.logs();
  }

  @Override
  public void failed(String step) {
    // Hostile steps are independent: only a failed setup step (runSetup) stops the others.
  }
}

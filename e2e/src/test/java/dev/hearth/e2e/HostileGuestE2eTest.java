package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.CommandResult;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String IMAGE = "e2e-hostile";

  /** The hostile guest every step runs its attack in. */
  private static final String VM = "e2e-hostile-a";

  /** For exec, cp and session commands: guest round trips of a few seconds under emulation. */
  private static final Duration EXEC = Duration.ofMinutes(2);

  private E2eHost host;
  private final SetupSteps setup = new SetupSteps();

  @BeforeAll
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void startDaemon() throws Exception {
    host = E2eHost.prepareFromSystemProperties();
    host.startDaemon();
  }

  @BeforeEach
  void setupPassed() {
    setup.assumeAllPassed();
  }

  @Test
  @Order(0)
  @Timeout(value = 32, unit = TimeUnit.MINUTES)
  void buildsTheImage() throws Exception {
    setup.run(
        "buildsTheImage", () -> host.hearthOk(Duration.ofMinutes(30), "image", "build", IMAGE));
  }

  @Test
  @Order(1)
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void createsTheHostileVm() throws Exception {
    setup.run(
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
    CommandResult id = inGuest("id", "-u");
    assertThat(id.stdout().strip()).as("the guest user every attack runs as").isEqualTo("0");
  }

  /** Where the guest keeps its session folders (the session module's SessionLayout.GUEST). */
  private static final String SESSIONS = "/var/lib/hearth/sessions";

  /**
   * The most resident memory the daemon may have after a hostile step: its heap is capped at 512
   * MiB (bin/hearth), so an unbounded read of guest bytes ends it (ExitOnOutOfMemoryError) long
   * before; a bounded one leaves it far below this.
   */
  private static final long DAEMON_RSS_KIB = 768 * 1024;

  /** The longest console log line the capper writes (FirecrackerLauncher's fold width). */
  private static final int CONSOLE_LINE_BYTES = 4096;

  private String hostileSession;
  private String keptSession;

  @Test
  @Order(200)
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void aFiveGigabyteSessionMetaIsReportedBrokenAndTheOtherSessionsAreListed() throws Exception {
    long daemon = host.daemonPid();
    keptSession = startSleeper("bounds-kept");
    hostileSession = startSleeper("bounds-hostile");
    // A sparse file: no guest disk is spent, but every byte reads (as zeros) after the metadata.
    inGuest("truncate", "-s", "5G", SESSIONS + "/" + hostileSession + "/meta");

    CommandResult list = host.hearth(EXEC, "--json", "session", "list", VM);

    assertThat(list.exitCode()).as(E2eHost.describe(list)).isEqualTo(1);
    JsonNode sessions = JSON.readTree(list.stdout());
    assertThat(sessions.findValuesAsText("id"))
        .as("the sessions listed beside the hostile one")
        .contains(keptSession)
        .doesNotContain(hostileSession);
    assertThat(list.stderr())
        .contains(
            "session "
                + hostileSession
                + " of VM "
                + VM
                + " is broken: its meta file is larger than 256 KiB");
    assertDaemonUnharmed(daemon);
  }

  @Test
  @Order(210)
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void theRediscoveryOfARestartedDaemonSurvivesTheHugeMeta() throws Exception {
    assumeTrue(hostileSession != null, "the 5 GB meta step did not get to start its sessions");
    long logBefore = Files.size(host.daemonLog);
    host.restartDaemon();
    long daemon = host.daemonPid();
    // The rediscovery logs its count ("found N session(s)") and then a line for each broken
    // session: wait for the last of them, not the first.
    String broken = "session " + hostileSession + " of VM " + VM + " is broken";
    Await.until(
        Duration.ofMinutes(3),
        "the restarted daemon's rediscovery of the sessions of "
            + VM
            + " to report the broken one in "
            + host.daemonLog,
        () -> HostProbes.textSince(host.daemonLog, logBefore).contains(broken));
    assertThat(HostProbes.textSince(host.daemonLog, logBefore)).contains("VM " + VM + ": found ");
    CommandResult list = host.hearth(EXEC, "--json", "session", "list", VM);
    assertThat(JSON.readTree(list.stdout()).findValuesAsText("id")).contains(keptSession);
    assertDaemonUnharmed(daemon);

    // Done with the hostile folder: the later steps see a guest with no such session.
    inGuest(
        "sh",
        "-c",
        guestScript("end-sessions.sh"),
        SESSIONS + "/" + hostileSession,
        SESSIONS + "/" + keptSession);
  }

  @Test
  @Order(220)
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void endlessStderrOfASessionScriptIsCutAtTheBoundAndTheGuestSideStopped() throws Exception {
    long daemon = host.daemonPid();
    // The guest's root shell (bash, run by sshd for every command, sourcing ~/.bashrc) turns every
    // session script (they all define `fail` with a hearth-error line) into endless stderr while
    // the flag file exists; other commands, these included, run as usual.
    String hook =
        "case \"$BASH_EXECUTION_STRING\" in *hearth-error*) [ -e /run/e2e-endless-stderr ] &&"
            + " exec yes e2e-endless-stderr >&2 ;; *e2e-probe-bashrc*) echo e2e-bashrc-sourced"
            + " >&2 ;; esac";
    inGuest(
        "sh",
        "-c",
        "{ printf '%s\\n' \"$0\"; cat /root/.bashrc 2>/dev/null; } > /root/.bashrc.new"
            + " && mv /root/.bashrc.new /root/.bashrc && touch /run/e2e-endless-stderr",
        hook);
    CommandResult probe = tryInGuest("sh", "-c", ": e2e-probe-bashrc");
    assertThat(probe.stderr())
        .as("the guest's bash must source ~/.bashrc for sshd's commands for this step to play")
        .contains("e2e-bashrc-sourced");

    CommandResult list = host.hearth(EXEC, "session", "list", VM);

    assertThat(list.exitCode()).as(E2eHost.describe(list)).isNotZero();
    assertThat(list.stderr())
        .contains(
            "the stderr of the session list script in VM "
                + VM
                + " passed 64 KiB, the most the daemon reads of it; the guest command was stopped");
    assertDaemonUnharmed(daemon);
    inGuest("rm", "-f", "/run/e2e-endless-stderr");
    // Stopped, not drained: the closed channel ends `yes` in the guest.
    Await.until(
        Duration.ofMinutes(2),
        "the guest's endless `yes` to end once the daemon closed its channel",
        () -> tryInGuest("pgrep", "-f", "yes e2e-endless-stder[r]").exitCode() == 1);
    assertThat(host.hearth(EXEC, "session", "list", VM).exitCode()).isZero();
  }

  @Test
  @Order(230)
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aConsoleWithoutNewlinesIsCutIntoShortLinesAndNoOneHoldsItInMemory() throws Exception {
    long daemon = host.daemonPid();
    Path console = Path.of(host.vm(VM).path("console_log").asText());
    // 1.2 MB without a newline, then one, so that the capper's last folded piece is written too
    // (fold holds up to a line of 4 KiB until it is complete) and the capper is idle afterwards.
    long xs = 1_200_000;

    host.hearthOk(
        Duration.ofMinutes(6),
        "vm",
        "exec",
        VM,
        "--",
        "sh",
        "-c",
        "{ head -c \"$0\" /dev/zero | tr '\\000' x; echo; } > /dev/ttyS0",
        Long.toString(xs));

    Await.until(
        Duration.ofMinutes(2),
        xs + " bytes 'x' in the console log " + console,
        () -> HostProbes.consoleBytes(console, 'x') >= xs);
    assertThat(HostProbes.longestConsoleLine(console))
        .as("the longest line of the console log (and its rotated part)")
        .isLessThanOrEqualTo(CONSOLE_LINE_BYTES);
    for (ProcessHandle capper : HostProbes.cappers(console)) {
      assertThat(HostProbes.rssKib(capper.pid()))
          .as("the resident memory of the console capper %s (KiB)", capper.pid())
          .isLessThan(16 * 1024);
    }
    assertThat(host.hearthOk(EXEC, "vm", "logs", VM, "--tail", "3").stdout().lines())
        .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(CONSOLE_LINE_BYTES));
    assertDaemonUnharmed(daemon);
  }

  private String startSleeper(String name) throws InterruptedException {
    return host.hearthOk(EXEC, "session", "start", VM, "--name", name, "--", "sleep", "100000")
        .stdout()
        .strip();
  }

  /** {@code hearth vm exec} of {@code argv} in the hostile guest; fails unless it exits 0. */
  private CommandResult inGuest(String... argv) throws InterruptedException {
    return E2eHost.expectOk(tryInGuest(argv));
  }

  /** {@code hearth vm exec} of {@code argv} in the hostile guest, whatever it does. */
  private CommandResult tryInGuest(String... argv) throws InterruptedException {
    List<String> args = new ArrayList<>(List.of("vm", "exec", VM, "--"));
    args.addAll(List.of(argv));
    return host.hearth(EXEC, args.toArray(String[]::new));
  }

  /** A script of this suite's resources, run in the guest with {@code sh -c}. */
  private static String guestScript(String name) throws IOException {
    try (InputStream in = HostileGuestE2eTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The daemon still runs, is the same process, and its resident memory stayed bounded. */
  private void assertDaemonUnharmed(long pid) throws IOException {
    assertThat(host.daemonRunning()).as("the daemon runs (it did not run out of memory)").isTrue();
    assertThat(host.daemonPid()).as("the daemon's pid (no restart)").isEqualTo(pid);
    assertThat(HostProbes.rssKib(pid)).as("the daemon's VmRSS (KiB)").isLessThan(DAEMON_RSS_KIB);
  }

  /** The second VM of the networking steps, whose address the hostile guest claims. */
  private static final String VICTIM = "e2e-hostile-b";

  /**
   * A TCP connect from the hostile guest with bash's /dev/tcp: exit 0 connected, 1 with "refused"
   * when a RST came back (the SYN got through), 124 when nothing came back within 5 s (dropped).
   */
  private CommandResult guestConnect(String ip, int port) throws Exception {
    return tryInGuest("timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/" + ip + "/" + port);
  }

  @Test
  @Order(300)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void theGuestReachesNeitherTheMetadataAddressNorHostPortsButDns() throws Exception {
    String gateway = host.bridgeCidr.gateway().toString();
    // Control: the DNS port on the bridge address is let through (a RST when nothing listens).
    CommandResult dns = guestConnect(gateway, 53);
    assertThat(dns.exitCode())
        .as("connect to the DNS port on %s: %s", gateway, E2eHost.describe(dns))
        .isIn(0, 1);

    try (ServerSocket listener = new ServerSocket()) {
      listener.bind(new InetSocketAddress(InetAddress.getByName(gateway), 0));
      CommandResult hostPort = guestConnect(gateway, listener.getLocalPort());
      assertThat(hostPort.exitCode())
          .as("connect to a host port on the bridge address: %s", E2eHost.describe(hostPort))
          .isEqualTo(124);
      listener.setSoTimeout(1);
      assertThatThrownBy(listener::accept)
          .as("a connection the host's listener took from the guest")
          .isInstanceOf(SocketTimeoutException.class);
    }

    CommandResult metadata = guestConnect("169.254.169.254", 80);
    assertThat(metadata.exitCode())
        .as("connect to the metadata address: %s", E2eHost.describe(metadata))
        .isEqualTo(124);
  }

  @Test
  @Order(310)
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void aGuestClaimingAnotherVmsAddressNeverAnswersForIt() throws Exception {
    host.hearthOk(
        Duration.ofMinutes(5),
        "vm",
        "create",
        VICTIM,
        "--image",
        IMAGE,
        "--memory",
        "512",
        "--no-start");
    JsonNode victim = host.vm(VICTIM);
    String victimIp = victim.path("ip").asText();
    // The VM DNS (issue 14): another VM's name resolves in a guest, bare (search) and in full,
    // from its creation on (stopped included).
    for (String name : List.of(VICTIM, VICTIM + ".hearth.internal")) {
      CommandResult lookup = inGuest("getent", "hosts", name);
      assertThat(lookup.stdout())
          .as("getent hosts %s in VM %s", name, VM)
          .startsWith(victimIp + " ")
          .contains(VICTIM + ".hearth.internal");
    }
    String claim = victimIp + "/" + host.bridgeCidr.prefix();
    // The hostile guest takes the victim's address before it boots: its kernel answers the host's
    // ARP requests for it, and its sshd (which lets the daemon's key in) listens on every address.
    inGuest("ip", "addr", "add", claim, "dev", "eth0");
    try {
      CommandResult start = host.hearth(Duration.ofMinutes(12), "vm", "start", VICTIM);
      if (start.exitCode() == 0) {
        CommandResult hostname = host.hearthOk(EXEC, "vm", "exec", VICTIM, "--", "hostname");
        assertThat(hostname.stdout().strip())
            .as("the guest that answered at %s for VM %s", victimIp, VICTIM)
            .isEqualTo(VICTIM);
      } else {
        // Refusing is allowed too (e.g. the host key check): the victim is then not running.
        assertThat(host.vm(VICTIM).path("state").asText())
            .as("the victim after a failed start: %s", E2eHost.describe(start))
            .isEqualTo("stopped");
      }
      CommandResult own = inGuest("hostname");
      assertThat(own.stdout().strip()).as("the hostile guest itself").isEqualTo(VM);
    } finally {
      tryInGuest("ip", "addr", "del", claim, "dev", "eth0");
    }

    host.hearthOk(Duration.ofMinutes(3), "vm", "delete", "--force", VICTIM);
    assertThat(host.leaks.tapGuards())
        .as("TAP guards once the victim is deleted (only the hostile guest's is left)")
        .containsExactly("TAP guard of " + host.vm(VM).path("tap").asText());
  }

  @Test
  @Order(110)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aGuestTarThatLiesGetsOnlyTheHonestFileWritten() throws Exception {
    inGuest("sh", "-c", guestScript("hostile-tar.sh"));
    Path sandbox = Files.createDirectories(host.work.resolve("hostile-cp/home/user"));
    Path dest = Files.createDirectories(sandbox.resolve("project/dest"));
    Files.writeString(sandbox.resolve(".bashrc"), "honest\n");
    String passwd = Files.readString(Path.of("/etc/passwd"));
    List<String> before = HostProbes.listing(host.work.resolve("hostile-cp"), dest);
    CommandResult copy;
    try {
      copy = host.hearth(EXEC, "vm", "cp", VM + ":/root/hostile/d", dest.toString());
    } finally {
      inGuest("rm", "-f", "/usr/local/sbin/tar");
    }

    assertThat(copy.exitCode()).as(E2eHost.describe(copy)).isZero();
    assertThat(HostProbes.listing(dest, null))
        .as("what the copy wrote")
        .containsExactly("dest/", "dest/d/", "dest/d/honest.txt");
    assertThat(dest.resolve("d/honest.txt")).hasContent("honest");
    assertThat(HostProbes.listing(host.work.resolve("hostile-cp"), dest))
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
    inGuest(
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
    CommandResult onTerminal = host.hearthOnTerminal(EXEC, "vm", "logs", VM, "--tail", "200");
    assertThat(onTerminal.exitCode()).as(E2eHost.describe(onTerminal)).isZero();
    assertThat(onTerminal.stdout()).contains(marker + " red end").doesNotContain("\u001b");
    CommandResult raw = host.hearthOnTerminal(EXEC, "vm", "logs", "--raw", VM, "--tail", "200");
    assertThat(raw.stdout()).contains(marker + " \u001b]0;pwned-title\u0007");
  }

  @Test
  @Order(900)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void deletesTheVmsAndTheImageAndLeavesNothing() throws Exception {
    host.deleteAllVmsAndImage(IMAGE);
    assertThat(host.leaks.tapGuards()).as("TAP guards left by the deleted VMs").isEmpty();
  }

  @Test
  @Order(901)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void daemonStopsAndNothingOfTheTestIsLeft() throws Exception {
    host.stopDaemonAndCheckNothingIsLeft();
  }

  @AfterAll
  void cleanUp() throws Exception {
    E2eHost.finish(host, getClass());
  }

  @Override
  public Map<String, Path> logs() {
    return host == null ? Map.of() : host.logs();
  }

  @Override
  public void failed(String step) {
    // Hostile steps are independent: only a failed setup step (SetupSteps) stops the others.
  }
}

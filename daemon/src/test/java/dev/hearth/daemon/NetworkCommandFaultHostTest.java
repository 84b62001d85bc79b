package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.ConfigKey;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.Bridge;
import dev.hearth.fcproc.net.HostNetworkEnvironment;
import dev.hearth.fcproc.net.LinuxHostNetwork;
import dev.hearth.fcproc.net.NatRules;
import dev.hearth.fcproc.net.TapDevices;
import dev.hearth.fcproc.testing.TestNetwork;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failing {@code ip} or {@code nft} command (ARCHITECTURE.md, "Faults"): the daemon runs the real
 * host network (a bridge {@code hfltb<hex>}, TAPs {@code hflt<hex>t<n>}, nft tables {@code
 * hearth_test_hflt_<hex>} on a free 10.244.x.0/24) through a runner that answers one armed kind of
 * command with exit code 2 and an error of its own instead of running it, as a kernel or tool that
 * refuses would. Each failure is answered naming the command, its exit code and stderr; the VM
 * being made leaves no TAP, row, folder or process; and the next create, with the command working
 * again, succeeds.
 */
@RequiresRoot
@RequiresBinary({"ip", "nft"})
class NetworkCommandFaultHostTest {
  private static final String INJECTED = "hflt: injected failure";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final Runner real = new ProcessRunner(Posix.system(), Clock.system());
  private final FailingRunner runner = new FailingRunner(real);
  private TestNetwork net;
  private VmFixture fx;

  @BeforeEach
  void start() throws Exception {
    String id = String.format("%04x", new SecureRandom().nextInt(1 << 16));
    net =
        new TestNetwork(
            "hfltb" + id,
            "hflt" + id + "t",
            "hearth_test_hflt_" + id,
            TestNetwork.freeNetwork(real, 244));
    fx =
        new VmFixture(
            dir,
            VmFixture.config(dir)
                .with(ConfigKey.BRIDGE_NAME, net.bridgeName())
                .with(ConfigKey.BRIDGE_CIDR, net.cidr().toString()));
    LinuxHostNetwork network =
        new LinuxHostNetwork(
            runner,
            HostNetworkEnvironment.system(),
            net.bridgeName(),
            net.cidr(),
            net.tapPrefix(),
            net.natTag());
    fx.start(Daemon.Seams.system().withVm(network, fx.guest, fx.guest).withGuestPowerOff(fx.guest));
  }

  @AfterEach
  void removeNetwork() throws Exception {
    if (fx != null) {
      fx.close();
    }
    TapDevices taps = new TapDevices(real, net.tapPrefix());
    for (String tap : taps.list()) {
      taps.delete(tap);
    }
    new NatRules(real, HostNetworkEnvironment.system(), net.bridgeName(), net.cidr(), net.natTag())
        .remove();
    new Bridge(real, net.bridgeName(), net.cidr()).remove();
  }

  @Test
  void aFailingNatNftFailsTheFirstCreateAndIsTriedAgainByTheNext() throws Exception {
    runner.fail(c -> c.argv().get(0).equals("nft"));

    assertCreateFails("nat", "could not install the NAT rules (nft table ip " + net.natTag() + ")");
    assertNothingLeft();
    runner.fail(c -> false);
    aVmWorks("after");
  }

  @Test
  void aFailingTapCreationFailsTheCreate() throws Exception {
    runner.fail(c -> c.argv().containsAll(List.of("ip", "tuntap", "add")));

    assertCreateFails(
        "tap", "command `ip tuntap add dev " + net.tapPrefix() + "0 mode tap` failed");
    assertNothingLeft();
    runner.fail(c -> false);
    aVmWorks("after");
  }

  @Test
  void aFailingGuardNftFailsTheCreateAndRemovesItsTap() throws Exception {
    aVmWorks("warm"); // bridge, NAT and guard table made: the next nft is the TAP's guard
    // Once: the undo's removal of the guard is an nft -f - on that map too, and works.
    runner.failOnce(c -> c.argv().equals(List.of("nft", "-f", "-")) && stdin(c).contains("guards"));

    assertCreateFails("guard", "could not guard TAP " + net.tapPrefix() + "0");
    assertNothingLeft();
    runner.fail(c -> false);
    aVmWorks("after");
  }

  @Test
  void aFailingTapDeletionLeavesTheVmInErrorAndASecondDeleteFinishesIt() throws Exception {
    JsonNode op = fx.createAndWait("del", "");
    assertThat(op.path("state").asText()).isEqualTo("succeeded");
    runner.fail(c -> c.argv().containsAll(List.of("ip", "link", "del")));

    assertThatThrownBy(() -> fx.call("vm.delete", "{\"vm\": \"del\", \"force\": true}"))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining("ip link del")
        .hasMessageContaining(INJECTED);
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"del\"}");
    assertThat(vm.path("state").asText()).isEqualTo("error");
    assertThat(vm.path("error").asText()).isNotEmpty();
    VmAssertions.assertNoFakeProcesses(fx);
    // Another VM is served meanwhile.
    runner.fail(c -> false);
    aVmWorks("other");

    fx.call("vm.delete", "{\"vm\": \"del\", \"force\": true}");
    assertNothingLeft();
  }

  /** The host network is set up before vm.create answers: a failure there is its answer. */
  private void assertCreateFails(String name, String what) {
    assertThatThrownBy(() -> fx.create(name, ""))
        .isInstanceOf(HearthException.class)
        .hasMessageContaining(what)
        .hasMessageContaining("(exit code 2): " + INJECTED);
  }

  /** No row, VM folder, fake firecracker or TAP of the test's prefix is left. */
  private void assertNothingLeft() throws Exception {
    assertThat(fx.call("vm.list", "{}").path("vms")).isEmpty();
    assertThat(VmAssertions.children(fx.layout.vmsDir())).isEmpty();
    assertThat(new TapDevices(real, net.tapPrefix()).list()).as("TAPs").isEmpty();
    VmAssertions.assertNoFakeProcesses(fx);
  }

  /** A VM is created on the real network, its TAP on the bridge, then deleted with its TAP. */
  private void aVmWorks(String name) throws Exception {
    JsonNode op = fx.createAndWait(name, "");
    assertThat(op.path("state").asText()).as("create of %s: %s", name, op).isEqualTo("succeeded");
    JsonNode vm = fx.call("vm.show", "{\"vm\": \"" + name + "\"}");
    JsonNode link =
        JSON.readTree(
            real.check(Command.of("ip", "-j", "link", "show", "dev", vm.path("tap").asText()))
                .stdout());
    assertThat(link.get(0).path("master").asText()).isEqualTo(net.bridgeName());
    fx.call("vm.delete", "{\"vm\": \"" + name + "\", \"force\": true}");
    assertThat(new TapDevices(real, net.tapPrefix()).list())
        .as("TAPs after the delete of %s", name)
        .doesNotContain(vm.path("tap").asText());
  }

  private static String stdin(Command c) {
    return c.stdin().map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
  }

  /** Runs commands for real, except those of the armed kind, which "exit 2" without running. */
  private static final class FailingRunner implements Runner {
    private final Runner real;
    private volatile Predicate<Command> failing = c -> false;

    FailingRunner(Runner real) {
      this.real = real;
    }

    void fail(Predicate<Command> which) {
      failing = which;
    }

    /** Fails the first command of that kind only. */
    void failOnce(Predicate<Command> which) {
      failing =
          c -> {
            if (which.test(c)) {
              failing = other -> false;
              return true;
            }
            return false;
          };
    }

    @Override
    public CommandResult run(Command command) throws InterruptedException {
      if (failing.test(command)) {
        return new CommandResult(
            command.argv(),
            2,
            new byte[0],
            (INJECTED + " of " + String.join(" ", command.argv()) + "\n")
                .getBytes(StandardCharsets.UTF_8),
            false,
            false,
            Duration.ZERO);
      }
      return real.run(command);
    }
  }
}

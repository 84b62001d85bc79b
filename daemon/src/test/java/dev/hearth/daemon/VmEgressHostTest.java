package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.NetnsRunner;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.fcproc.net.EgressPolicy;
import dev.hearth.fcproc.net.EgressRules;
import dev.hearth.fcproc.net.Ipv4;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's egress policies on real nftables: a VM of the fake firecracker created with {@code
 * egress: none} gets its chain, {@code vm.egress} changes it live, a daemon restart applies the
 * recorded policy again and removes rules of addresses without a VM, and delete leaves no object.
 * The rules go into a network namespace of the test's own (nft run there through the same {@link
 * EgressRules}), never into the machine's ruleset.
 */
@RequiresRoot
@RequiresBinary({"ip", "nft"})
class VmEgressHostTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String TABLE = "hearth_test_egress";

  @TempDir Path dir;

  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private String ns;
  private VmFixture fx;
  private Daemon.Seams seams;

  @BeforeEach
  void setUp() throws Exception {
    ns = String.format("egress%04xd", RANDOM.nextInt(1 << 16));
    runner.check(Command.of("ip", "netns", "add", ns));
    fx = new VmFixture(dir);
    seams = fx.seams().withEgressRules(VmFixture.egressRules(NetnsRunner.in(ns, runner)));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (fx != null) {
        fx.close();
      }
    } finally {
      runner.run(Command.of("ip", "netns", "del", ns));
      assertThat(runner.check(Command.of("ip", "netns", "list")).stdout()).doesNotContain(ns);
    }
  }

  @Test
  void createAppliesTheStoredPolicyEgressChangesItAndRestartAndDeleteFollow() throws Exception {
    fx.start(seams);
    JsonNode op = fx.createAndWait("demo", "\"egress\": \"none\"");
    assertThat(op.path("state").asText()).isEqualTo("succeeded");
    String ip = fx.call("vm.show", "{\"vm\": \"demo\"}").path("ip").asText();
    String key = ip.replace('.', '_');
    assertThat(fx.call("vm.show", "{\"vm\": \"demo\"}").path("egress").asText()).isEqualTo("none");
    assertThat(ruleset())
        .contains(ip + " : jump vm_" + key)
        .contains("reject with tcp reset")
        .doesNotContain("@allow_" + key);

    JsonNode changed =
        fx.call("vm.egress", "{\"vm\": \"demo\", \"policy\": \"allow:pkg.test,203.0.113.140\"}");
    assertThat(changed.path("policy").asText()).isEqualTo("allow:pkg.test,203.0.113.140");
    assertThat(changed.path("denied_packets").asLong()).isZero();
    assertThat(ruleset()).contains("@allow_" + key).contains("203.0.113.140");

    // A restart: the recorded policy is applied again, rules of an address without a VM go.
    fx.stopDaemon();
    runner.check(
        Command.builder("ip")
            .args("netns", "exec", ns, "nft", "-f", "-")
            .stdin("flush set ip " + TABLE + " cidr_" + key + "\n")
            .build());
    Ipv4 stray = Ipv4.parse("10.77.0.200");
    VmFixture.egressRules(NetnsRunner.in(ns, runner)).apply(stray, EgressPolicy.NONE, Map.of());
    fx.start(seams);
    assertThat(fx.call("vm.egress", "{\"vm\": \"demo\"}").path("policy").asText())
        .isEqualTo("allow:pkg.test,203.0.113.140");
    assertThat(ruleset()).contains("203.0.113.140").doesNotContain("10_77_0_200");

    fx.call("vm.egress", "{\"vm\": \"demo\", \"policy\": \"open\"}");
    assertThat(ruleset()).doesNotContain("vm_" + key);
    fx.call("vm.egress", "{\"vm\": \"demo\", \"policy\": \"none\"}");
    assertThat(ruleset()).contains("vm_" + key);

    fx.call("vm.delete", "{\"vm\": \"demo\", \"force\": true}");
    assertThat(ruleset())
        .doesNotContain("vm_" + key, "allow_" + key, "cidr_" + key, "denied_" + key);
  }

  private String ruleset() throws InterruptedException {
    return runner.check(Command.of("ip", "netns", "exec", ns, "nft", "list", "ruleset")).stdout();
  }
}

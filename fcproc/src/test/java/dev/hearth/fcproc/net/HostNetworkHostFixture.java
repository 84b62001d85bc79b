package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.HostConditions;
import dev.hearth.fcproc.testing.TestNetwork;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Names and helpers for host tests that really change the host's network: a bridge, TAP prefix and
 * NAT tag unique to one test run (never the daemon's), a test network that overlaps none of the
 * host's routes or addresses, and readers of {@code ip -j} and {@code nft -j} output.
 */
final class HostNetworkHostFixture {
  private static final ObjectMapper JSON = new ObjectMapper();

  final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final TestNetwork names;
  final String bridgeName;
  final String tapPrefix;
  final String natTag;
  final Ipv4Cidr cidr;

  HostNetworkHostFixture() throws InterruptedException {
    names = TestNetwork.pick(runner, "nt", 250);
    bridgeName = names.bridgeName();
    tapPrefix = names.tapPrefix();
    natTag = names.natTag();
    cidr = names.cidr();
  }

  /** The real PATH lookup, optionally hiding nft; sysctl writes go to a folder, not the kernel. */
  HostNetworkEnvironment environment(Path sysctlRoot, boolean hideNft) {
    HostNetworkEnvironment real = HostNetworkEnvironment.system();
    HostNetworkEnvironment files = HostNetworkEnvironment.system("", sysctlRoot);
    return new HostNetworkEnvironment() {
      @Override
      public Optional<Path> findProgram(String name) {
        return hideNft && name.equals("nft") ? Optional.empty() : real.findProgram(name);
      }

      @Override
      public void writeSysctl(String key, String value) {
        files.writeSysctl(key, value);
      }
    };
  }

  JsonNode json(String... argv) throws InterruptedException {
    CommandResult result = runner.check(Command.of(List.of(argv)));
    try {
      return JSON.readTree(result.stdout());
    } catch (java.io.IOException e) {
      throw new AssertionError("`" + String.join(" ", argv) + "` printed no JSON", e);
    }
  }

  /** The {@code ip -j link show} entry of the device, if it exists. */
  Optional<JsonNode> link(String name) throws InterruptedException {
    for (JsonNode dev : json("ip", "-j", "-d", "link", "show")) {
      if (dev.path("ifname").asText().equals(name)) {
        return Optional.of(dev);
      }
    }
    return Optional.empty();
  }

  List<String> linkNamesStartingWith(String prefix) throws InterruptedException {
    List<String> names = new ArrayList<>();
    for (JsonNode dev : json("ip", "-j", "link", "show")) {
      if (dev.path("ifname").asText().startsWith(prefix)) {
        names.add(dev.path("ifname").asText());
      }
    }
    return names;
  }

  static boolean hasFlag(JsonNode dev, String flag) {
    for (JsonNode f : dev.path("flags")) {
      if (f.asText().equals(flag)) {
        return true;
      }
    }
    return false;
  }

  /** Entries of {@code nft -j list ruleset} of one kind ("table", "chain", "rule") in a table. */
  List<JsonNode> nftObjects(String kind, String table) throws InterruptedException {
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode entry : json("nft", "-j", "list", "ruleset").path("nftables")) {
      JsonNode object = entry.path(kind);
      String tableName =
          kind.equals("table") ? object.path("name").asText() : object.path("table").asText();
      if (!object.isMissingNode()
          && object.path("family").asText().equals("ip")
          && tableName.equals(table)) {
        found.add(object);
      }
    }
    return found;
  }

  /** Removes everything this run may have made; each step on its own so one failure skips none. */
  void cleanUp() throws InterruptedException {
    for (String tap : linkNamesStartingWith(tapPrefix)) {
      runner.run(Command.of("ip", "link", "del", tap));
    }
    runner.run(Command.of("ip", "link", "del", bridgeName));
    if (HostConditions.which("nft").isPresent()) {
      for (String table : List.of(natTag, natTag + "_other")) {
        runner.run(
            Command.builder("nft")
                .args("-f", "-")
                .stdin("table ip " + table + "\ndelete table ip " + table + "\n")
                .build());
      }
    }
    assertThat(linkNamesStartingWith(tapPrefix)).as("test TAPs left behind").isEmpty();
    assertThat(link(bridgeName)).as("test bridge left behind").isEmpty();
  }
}

package dev.hearth.fcproc.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Command;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Names and an address range for a host test that really changes the host's network: a bridge, TAP
 * prefix and NAT tag unique to one run (never the daemon's, nor those a crashed earlier run left
 * behind), and a /24 that overlaps none of the host's routes or addresses.
 *
 * @param bridgeName {@code <kind>b<hex>}
 * @param tapPrefix {@code <kind>t<hex>t} (a prefix must end in a letter)
 * @param natTag {@code hearth_test_<kind>_<hex>}
 * @param cidr the bridge's address: {@code 10.<secondOctet>.x.1/24}
 */
public record TestNetwork(String bridgeName, String tapPrefix, String natTag, Ipv4Cidr cidr) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * @param kind two lower-case letters naming the test (a TAP prefix has at most 10 characters)
   * @param secondOctet the 10.N.0.0/16 block to take the /24 from, one per test class
   */
  public static TestNetwork pick(Runner runner, String kind, int secondOctet)
      throws InterruptedException {
    if (!kind.matches("[a-z]{2}")) {
      throw new IllegalArgumentException("kind must be two lower-case letters; got " + kind);
    }
    String id = String.format("%04x", RANDOM.nextInt(1 << 16));
    return new TestNetwork(
        "h" + kind + "b" + id,
        "h" + kind + "t" + id + "t",
        "hearth_test_" + kind + "_" + id,
        freeNetwork(runner, secondOctet));
  }

  /** A 10.N.x.0/24 network that none of the host's IPv4 routes or addresses overlaps. */
  public static Ipv4Cidr freeNetwork(Runner runner, int secondOctet) throws InterruptedException {
    List<Ipv4Cidr> used = new ArrayList<>();
    for (JsonNode route : json(runner, "ip", "-j", "-4", "route", "show", "table", "all")) {
      String dst = route.path("dst").asText();
      try {
        used.add(dst.contains("/") ? Ipv4Cidr.parse(dst) : new Ipv4Cidr(Ipv4.parse(dst), 32));
      } catch (IllegalArgumentException notAnAddress) {
        // "default" and other symbolic destinations: no network to avoid
      }
    }
    for (JsonNode dev : json(runner, "ip", "-j", "-4", "addr", "show")) {
      for (JsonNode addr : dev.path("addr_info")) {
        used.add(
            new Ipv4Cidr(Ipv4.parse(addr.path("local").asText()), addr.path("prefixlen").asInt()));
      }
    }
    int start = RANDOM.nextInt(256);
    for (int i = 0; i < 256; i++) {
      Ipv4Cidr candidate = new Ipv4Cidr(Ipv4.of(10, secondOctet, (start + i) % 256, 1), 24);
      if (used.stream().noneMatch(candidate::overlaps)) {
        return candidate;
      }
    }
    throw new AssertionError(
        "every 10." + secondOctet + ".x.0/24 network clashes with a route on this host");
  }

  private static JsonNode json(Runner runner, String... argv) throws InterruptedException {
    String out = runner.check(Command.of(List.of(argv))).stdout();
    try {
      return JSON.readTree(out);
    } catch (IOException e) {
      throw new AssertionError("`" + String.join(" ", argv) + "` printed no JSON: " + out, e);
    }
  }
}

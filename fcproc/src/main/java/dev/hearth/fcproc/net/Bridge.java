package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host bridge the guests' TAP devices attach to. Its address is the guests' gateway. hearth
 * creates it when missing and adopts an existing bridge of the same name (a bridge an administrator
 * made, or the one a previous daemon left), but never a device of another kind.
 */
public final class Bridge {
  private static final Logger log = LoggerFactory.getLogger(Bridge.class);

  /** What {@link #ensure()} found. */
  public enum Ensured {
    /** There was no device of that name; hearth created the bridge. */
    CREATED,
    /** A bridge of that name existed; hearth set its address and brought it up. */
    ADOPTED
  }

  private final HostNetworkCommands commands;
  private final String name;
  private final Ipv4Cidr cidr;

  /**
   * @param name the bridge device name (at most 15 characters), e.g. {@code hearth0}
   * @param cidr the bridge's address and prefix, e.g. {@code 10.77.0.1/24}
   */
  public Bridge(Runner runner, String name, Ipv4Cidr cidr) {
    this.commands = new HostNetworkCommands(requireNonNull(runner, "runner"));
    this.name = HostNetworkCommands.checkInterfaceName(name, "bridge");
    this.cidr = requireNonNull(cidr, "cidr");
  }

  public String name() {
    return name;
  }

  public Ipv4Cidr cidr() {
    return cidr;
  }

  /**
   * Makes the bridge exist with its address and up. Safe to call on every daemon start. When it
   * created the bridge and a later step fails, it removes the bridge again.
   *
   * @throws HostNetworkException when a device of that name exists but is not a bridge, or a
   *     command fails
   */
  public Ensured ensure() throws InterruptedException {
    Optional<BridgeInfo> existing = inspectLink();
    Ensured outcome;
    if (existing.isEmpty()) {
      commands.check(
          "could not create bridge " + name, "ip", "link", "add", "name", name, "type", "bridge");
      outcome = Ensured.CREATED;
    } else if (!existing.get().isBridge()) {
      String kind = existing.get().kind().isEmpty() ? "plain" : existing.get().kind();
      throw new HostNetworkException(
          "device "
              + name
              + " exists but is a "
              + kind
              + " device, not a bridge; hearth will not adopt it (choose another bridge_name)");
    } else {
      outcome = Ensured.ADOPTED;
    }
    try {
      commands.check(
          "could not set address " + cidr + " on bridge " + name,
          "ip",
          "addr",
          "replace",
          cidr.toString(),
          "dev",
          name);
      commands.check("could not bring bridge " + name + " up", "ip", "link", "set", name, "up");
    } catch (RuntimeException | InterruptedException e) {
      if (outcome == Ensured.CREATED) {
        commands.deleteAfterFailure(name, e);
      }
      throw e;
    }
    log.info(
        "bridge {} {} with address {}",
        name,
        outcome == Ensured.CREATED ? "created" : "adopted",
        cidr);
    return outcome;
  }

  /** The bridge as the host sees it, or empty when no device of that name exists. */
  public Optional<BridgeInfo> inspect() throws InterruptedException {
    Optional<BridgeInfo> link = inspectLink();
    if (link.isEmpty()) {
      return link;
    }
    CommandResult result =
        commands.run(
            "could not read the addresses of " + name, "ip", "-j", "addr", "show", "dev", name);
    if (HostNetworkCommands.missingDevice(result)) {
      return Optional.empty();
    }
    HostNetworkCommands.orThrow("could not read the addresses of " + name, result);
    List<Ipv4Cidr> addresses = new ArrayList<>();
    for (JsonNode dev : HostNetworkCommands.json(result)) {
      for (JsonNode addr : dev.path("addr_info")) {
        if (addr.path("family").asText().equals("inet")) {
          addresses.add(
              new Ipv4Cidr(
                  Ipv4.parse(addr.path("local").asText()), addr.path("prefixlen").asInt()));
        }
      }
    }
    BridgeInfo l = link.get();
    return Optional.of(new BridgeInfo(l.name(), l.kind(), l.up(), l.mtu(), l.mac(), addresses));
  }

  /** Deletes the bridge (TAPs still attached are detached, not deleted); a missing one is fine. */
  public void remove() throws InterruptedException {
    CommandResult result =
        commands.run("could not delete bridge " + name, "ip", "link", "del", name);
    if (!HostNetworkCommands.missingDevice(result)) {
      HostNetworkCommands.orThrow("could not delete bridge " + name, result);
    }
  }

  private Optional<BridgeInfo> inspectLink() throws InterruptedException {
    String doing = "could not inspect network device " + name;
    CommandResult result = commands.run(doing, "ip", "-j", "-d", "link", "show", "dev", name);
    if (HostNetworkCommands.missingDevice(result)) {
      return Optional.empty();
    }
    HostNetworkCommands.orThrow(doing, result);
    for (JsonNode dev : HostNetworkCommands.json(result)) {
      if (dev.path("ifname").asText().equals(name)) {
        boolean up = false;
        for (JsonNode flag : dev.path("flags")) {
          up |= flag.asText().equals("UP");
        }
        return Optional.of(
            new BridgeInfo(
                name,
                dev.path("linkinfo").path("info_kind").asText(""),
                up,
                dev.path("mtu").asInt(),
                dev.path("address").asText(""),
                List.of()));
      }
    }
    return Optional.empty();
  }
}

package dev.hearth.fcproc.net;

import dev.hearth.core.Runner;
import java.util.List;

/**
 * {@link HostNetwork} on the host's bridge, TAPs and NAT rules (fcproc, through {@link Runner}).
 */
public final class LinuxHostNetwork implements HostNetwork {
  private final Bridge bridge;
  private final NatRules nat;
  private final TapDevices taps;
  private final TapGuards guards;

  /** With the VMs isolated from each other ({@code vm_to_vm = "deny"}). */
  public LinuxHostNetwork(
      Runner runner,
      HostNetworkEnvironment environment,
      String bridgeName,
      Ipv4Cidr bridgeCidr,
      String tapPrefix,
      String natTag) {
    this(runner, environment, bridgeName, bridgeCidr, tapPrefix, natTag, false);
  }

  /**
   * @param tapPrefix the TAP name prefix (the daemon's {@code tap_prefix})
   * @param natTag the NAT rule tag (the daemon's {@code network_tag}), also the name of the TAP
   *     guards' table
   * @param vmToVm whether guests may reach each other over the bridge
   */
  public LinuxHostNetwork(
      Runner runner,
      HostNetworkEnvironment environment,
      String bridgeName,
      Ipv4Cidr bridgeCidr,
      String tapPrefix,
      String natTag,
      boolean vmToVm) {
    this.bridge = new Bridge(runner, bridgeName, bridgeCidr);
    this.nat = new NatRules(runner, environment, bridgeName, bridgeCidr, natTag);
    this.taps = new TapDevices(runner, tapPrefix);
    this.guards = new TapGuards(runner, environment, natTag, taps, vmToVm);
  }

  @Override
  public void ensure() throws InterruptedException {
    bridge.ensure();
    nat.ensure();
    guards.ensure();
    // A TAP deleted while no daemon watched (a reboot, a hand's `ip link del`) left its guard; a
    // later TAP of that name would start out with the old guest's rights until guarded anew.
    // Only this prefix's: another daemon (a bench, tests) may share the table with its own TAPs.
    List<String> present = taps.list();
    for (String tap : guards.guarded()) {
      if (taps.isOurs(tap) && !present.contains(tap)) {
        guards.unguard(tap);
      }
    }
  }

  @Override
  public String tapName(int index) {
    return taps.name(index);
  }

  @Override
  public void createTap(String tap) throws InterruptedException {
    taps.create(tap, bridge.name());
  }

  @Override
  public void attachTap(String tap) throws InterruptedException {
    taps.attach(tap, bridge.name());
  }

  @Override
  public void ownTap(String tap, int uid) throws InterruptedException {
    taps.createOwned(tap, bridge.name(), uid);
  }

  @Override
  public void guardTap(String tap, TapGuest guest) throws InterruptedException {
    guards.guard(tap, guest);
  }

  @Override
  public void limitTap(String tap, long bytesPerSecond) throws InterruptedException {
    guards.limit(tap, bytesPerSecond);
  }

  @Override
  public void unguardTap(String tap) throws InterruptedException {
    guards.unguard(tap);
  }

  @Override
  public void deleteTap(String tap) throws InterruptedException {
    taps.delete(tap);
    guards.unguard(tap);
  }

  @Override
  public List<String> listTaps() throws InterruptedException {
    return taps.list();
  }
}

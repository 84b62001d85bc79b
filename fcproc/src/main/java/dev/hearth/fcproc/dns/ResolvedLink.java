package dev.hearth.fcproc.dns;

import dev.hearth.core.Command;
import dev.hearth.core.CommandException;
import dev.hearth.core.HostProbe;
import dev.hearth.core.Runner;
import dev.hearth.fcproc.net.Ipv4;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The host side of the VM DNS where systemd-resolved runs: the bridge link gets the VM DNS as its
 * server and {@code ~<domain>} as a routing domain, so that the host's own lookups of VM names go
 * to it ({@code resolvectl dns/domain}); {@link #revert} takes both back. Elsewhere {@link
 * #manualCommand} is what doctor suggests.
 */
public final class ResolvedLink {
  static final Path RESOLVED_RUN = Path.of("/run/systemd/resolve");
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final Runner runner;
  private final HostProbe probe;

  public ResolvedLink(Runner runner, HostProbe probe) {
    this.runner = runner;
    this.probe = probe;
  }

  /** Whether systemd-resolved runs here: {@code resolvectl} is installed and its run folder is. */
  public boolean available() {
    return probe.findExecutable("resolvectl").isPresent() && probe.exists(RESOLVED_RUN);
  }

  /**
   * Points the bridge link's DNS at the VM DNS for {@code domain}.
   *
   * @throws DnsException naming the command, its exit code and stderr when one fails
   */
  public void register(String bridge, Ipv4 address, String domain) throws InterruptedException {
    run(
        Command.builder("resolvectl")
            .args("dns", bridge, address + ":53")
            .timeout(TIMEOUT)
            .build());
    run(
        Command.builder("resolvectl")
            .args("domain", bridge, "~" + domain)
            .timeout(TIMEOUT)
            .build());
  }

  /** Takes the link's DNS settings back ({@code resolvectl revert}). */
  public void revert(String bridge) throws InterruptedException {
    run(Command.builder("resolvectl").args("revert", bridge).timeout(TIMEOUT).build());
  }

  /** The commands that register the domain by hand, for doctor's fix line. */
  public static String manualCommand(String bridge, Ipv4 address, String domain) {
    return "resolvectl dns "
        + bridge
        + " "
        + address
        + ":53 && resolvectl domain "
        + bridge
        + " '~"
        + domain
        + "' (systemd-resolved), or point the host's resolver at "
        + address
        + " for "
        + domain;
  }

  private void run(Command command) throws InterruptedException {
    try {
      runner.check(command);
    } catch (CommandException e) {
      throw new DnsException(e.getMessage(), e);
    }
  }
}

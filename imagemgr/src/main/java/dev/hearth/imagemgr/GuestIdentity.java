package dev.hearth.imagemgr;

import java.nio.file.Path;

/**
 * Writes a guest's identity into its root disk before the first boot: the host name, the daemon's
 * public key as an authorized SSH key, the network config (for images whose kernel cannot take
 * {@code ip=} from the command line), and an SSH host key of the VM's own, whose public part the
 * daemon pins.
 */
public interface GuestIdentity {
  /**
   * @param rootDisk the VM's root disk (an image file or a block device), not mounted
   * @param ipCidr the guest's address with the bridge prefix, e.g. {@code 10.77.0.2/24}
   * @param gateway the bridge address
   * @param dnsServer the resolver the guest should use
   * @param authorizedKey the daemon's public key line, or "" when it has none
   * @return the public part of the VM's new SSH host key, an OpenSSH public key line
   */
  String write(
      Path rootDisk,
      String hostname,
      String ipCidr,
      String gateway,
      String dnsServer,
      String authorizedKey)
      throws InterruptedException;
}

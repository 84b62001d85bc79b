package dev.hearth.daemon.internal.vm;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity stage for guests that take everything from the kernel command line: the address,
 * gateway and host name are in the {@code ip=} argument, so nothing is written to the disk. Used
 * until the guest module's {@code debugfs} writer (hostname, authorized key, network files) is
 * wired into the daemon.
 */
public final class KernelArgsIdentity implements GuestIdentity {
  private static final Logger log = LoggerFactory.getLogger(KernelArgsIdentity.class);

  @Override
  public void write(
      Path rootDisk,
      String hostname,
      String ipCidr,
      String gateway,
      String dnsServer,
      String authorizedKey) {
    log.debug(
        "guest {} ({}) is configured by the kernel ip= argument; {} left unchanged",
        hostname,
        ipCidr,
        rootDisk);
  }
}

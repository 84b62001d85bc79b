package dev.hearth.imagemgr;

import dev.hearth.core.CheckOutcome;
import dev.hearth.core.CheckOutcome.Status;
import dev.hearth.core.HostProbe;
import dev.hearth.core.HostTools;
import java.nio.file.Path;

/**
 * The doctor's checks of the host tools images are made with: {@code debugfs} (the identity stage
 * of every create, FAIL when missing), and what image build and kernel extraction run (WARN: a host
 * may never build an image). They only look.
 */
public final class ImageToolChecks {
  static final Path DEBIAN_KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");
  private static final String IDENTITY =
      "vm create writes the VM's hostname, address and SSH key into its disk with it";
  private static final String BUILD = "image build needs it";
  private static final String EXTRACT =
      "image build (Debian's kernel) and image register --extract-kernel unpack the kernel with it";
  private static final String TAR = "image build caches its download with it, vm cp copies with it";

  private final HostProbe probe;

  public ImageToolChecks(HostProbe probe) {
    this.probe = probe;
  }

  /** {@code debugfs}, which writes the guest identity into every new VM's disk. */
  public CheckOutcome debugfs() {
    return HostTools.neededBy(probe, "debugfs", "e2fsprogs", Status.FAIL, IDENTITY);
  }

  public CheckOutcome debootstrap() {
    return HostTools.neededBy(probe, "debootstrap", "debootstrap", Status.WARN, BUILD);
  }

  /** debootstrap checks what it downloads against Debian's keys, when it has them. */
  public CheckOutcome debootstrapKeyring() {
    if (probe.exists(DEBIAN_KEYRING)) {
      return CheckOutcome.pass(DEBIAN_KEYRING.toString());
    }
    return CheckOutcome.warn(
        DEBIAN_KEYRING
            + " is missing: image build's debootstrap cannot check the signature of what it"
            + " downloads",
        "apt-get install debian-archive-keyring");
  }

  public CheckOutcome mkfsExt4() {
    return HostTools.neededBy(probe, "mkfs.ext4", "e2fsprogs", Status.WARN, BUILD);
  }

  public CheckOutcome xz() {
    return HostTools.neededBy(probe, "xz", "xz-utils", Status.WARN, EXTRACT);
  }

  public CheckOutcome tar() {
    return HostTools.neededBy(probe, "tar", "tar", Status.WARN, TAR);
  }
}

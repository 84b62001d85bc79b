package dev.hearth.session;

/**
 * The SSH server at a VM's address showed another host key than the one pinned for the VM: another
 * machine answers at its address. The message names the VM, the address and both fingerprints.
 */
public class GuestHostKeyMismatchException extends GuestSshException {
  private static final long serialVersionUID = 1L;

  public GuestHostKeyMismatchException(String message) {
    super(message);
  }
}

package dev.hearth.session;

import java.util.Optional;

/**
 * The guests' pinned SSH host keys, as the daemon keeps them: {@link MinaGuestDialer} checks every
 * server key against them and refuses a mismatch ({@link GuestHostKeyMismatchException}).
 */
public interface GuestHostKeys {
  /**
   * What is known of the host key at an address.
   *
   * @param vm the VM that has this address
   * @param publicKey its pinned key as an OpenSSH public key line, or empty when none was pinned (a
   *     VM made before hearth pinned keys): the first key seen is then pinned ({@link #pin})
   */
  record Known(String vm, Optional<String> publicKey) {}

  /** The VM at {@code ip:port}, or empty when the address is no VM's (nothing to check). */
  Optional<Known> lookup(String ip, int port);

  /** Pins the key a VM without one showed at first contact. */
  void pin(String vm, String publicKeyLine);

  /** Accepts every key and pins none: for tools and tests that reach SSH servers of their own. */
  GuestHostKeys NONE =
      new GuestHostKeys() {
        @Override
        public Optional<Known> lookup(String ip, int port) {
          return Optional.empty();
        }

        @Override
        public void pin(String vm, String publicKeyLine) {}
      };
}

package dev.hearth.cli;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * The host's {@code tar}, run as the CLI's user (so the user's own permissions apply to host paths;
 * the daemon never touches them): {@code vm cp} packs what it sends to a VM with it. What comes
 * back from a VM is never given to it: the API unpacks that archive itself, entry by entry. {@link
 * SystemHostTar} is the real one; tests use a fake.
 */
interface HostTar {
  /**
   * Starts archiving {@code parent/name} (a file or a folder, recursively) as entry {@code name}.
   */
  Packing pack(Path parent, String name);

  /** An archive being written; read it from {@link #archive()}. */
  interface Packing extends AutoCloseable {
    InputStream archive();

    /**
     * Waits for tar's end.
     *
     * @throws HostTarException naming the command, exit code and stderr when it failed
     */
    void finish() throws InterruptedException;

    /** Ends tar if it still runs. */
    @Override
    void close();
  }

  /** tar failed; the message names its command line, exit code and stderr. */
  final class HostTarException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HostTarException(String message) {
      super(message);
    }

    HostTarException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}

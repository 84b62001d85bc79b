package dev.hearth.session;

import java.io.IOException;
import java.util.Optional;

/**
 * A guest produced more bytes than the daemon reads into memory ({@link BoundedOutput}). An {@link
 * IOException}, since it is what a write to the capture throws; the guest command it came from is
 * stopped (its channel closed), not drained.
 */
public final class OutputLimitException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String what;
  private final long limit;

  public OutputLimitException(String what, long limit) {
    super(
        what
            + " passed "
            + size(limit)
            + ", the most the daemon reads of it; the guest command was stopped");
    this.what = what;
    this.limit = limit;
  }

  /** What was read: "the stdout of the session list script in VM demo". */
  public String what() {
    return what;
  }

  /** The bound, in bytes. */
  public long limit() {
    return limit;
  }

  /** The limit error in {@code t} or its causes, if any. */
  public static Optional<OutputLimitException> in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof OutputLimitException limitError) {
        return Optional.of(limitError);
      }
    }
    return Optional.empty();
  }

  /** "64 KiB", "8 MiB", or bytes when not a whole number of KiB. */
  static String size(long bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " bytes";
  }
}

package dev.hearth.daemon;

/**
 * The bounds of a copy out of a guest ({@link Vms#copyOut(String, String, java.nio.file.Path,
 * CopyLimits)}), checked as the guest's archive is read: past one of them the copy fails with
 * {@code host_error} and leaves nothing behind. A value below 1 throws {@link
 * HearthException.Kind#INVALID}.
 *
 * @param maxEntries most entries in the archive, refused ones included
 * @param maxNameBytes most bytes (UTF-8) of an entry's name or a link's target
 * @param maxBytes most bytes of the archive, and most bytes written to files
 */
public record CopyLimits(long maxEntries, int maxNameBytes, long maxBytes) {
  /** A million entries, names of 4 KiB, 64 GiB. */
  public static final CopyLimits DEFAULT = new CopyLimits(1_000_000, 4096, 64L << 30);

  public CopyLimits {
    if (maxEntries < 1 || maxNameBytes < 1 || maxBytes < 1) {
      throw HearthException.invalid(
          "copy limits must be 1 or more; got "
              + maxEntries
              + " entries, "
              + maxNameBytes
              + " name bytes, "
              + maxBytes
              + " bytes");
    }
  }

  /** These limits with another {@link #maxBytes}. */
  public CopyLimits withMaxBytes(long bytes) {
    return new CopyLimits(maxEntries, maxNameBytes, bytes);
  }
}

package dev.hearth.session;

/**
 * The bounds of a copy out of a guest, checked while the guest's tar is read: past any of them the
 * copy stops with a {@link GuestArchiveException} of kind {@code TOO_LARGE} (nothing is left on the
 * host).
 *
 * @param maxEntries most entries in the archive, refused ones included
 * @param maxNameBytes most bytes (UTF-8) of an entry's name or of a link's target
 * @param maxBytes most bytes of the archive, and most bytes written to files
 */
public record ArchiveLimits(long maxEntries, int maxNameBytes, long maxBytes) {
  /** A million entries, names of 4 KiB (Linux's PATH_MAX), 64 GiB. */
  public static final ArchiveLimits DEFAULT = new ArchiveLimits(1_000_000, 4096, 64L << 30);

  public ArchiveLimits {
    if (maxEntries < 1 || maxNameBytes < 1 || maxBytes < 1) {
      throw new IllegalArgumentException(
          "archive limits must be 1 or more; got "
              + maxEntries
              + " entries, "
              + maxNameBytes
              + " name bytes, "
              + maxBytes
              + " bytes");
    }
  }
}

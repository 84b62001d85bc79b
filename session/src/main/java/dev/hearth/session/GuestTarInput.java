package dev.hearth.session;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Commons Compress's tar reader (UTF-8 names) with two bounds the per-entry header budget of {@link
 * TarEntries} leaves open. Global PAX headers ({@code 'g'} entries): it merges each one into
 * headers it keeps, and applies, for the rest of the archive. {@code tar -c} as the copy script
 * runs it writes none (GNU tar's and bsdtar's formats, busybox's ustar); a few are allowed, as
 * POSIX tars may write one. And the headers ahead of one entry (PAX, GNU long names): it reads each
 * by calling itself again, so that a chain of a few thousand empty ones, well within that budget,
 * overflows the reading thread's stack.
 */
final class GuestTarInput extends TarArchiveInputStream {
  /** Most bytes of global PAX headers in an archive. */
  static final int GLOBAL_PAX_BUDGET = 64 * 1024;

  /** Most headers read for one entry, its own included (a real tar has at most four or five). */
  static final int MAX_HEADERS = 32;

  private long globalPaxBytes;
  private int headers;
  private GuestArchiveException exceeded;

  GuestTarInput(InputStream in) {
    super(in, "UTF-8");
  }

  /** The bound passed, when a read failed for that. */
  Optional<GuestArchiveException> exceeded() {
    return Optional.ofNullable(exceeded);
  }

  @Override
  public TarArchiveEntry getNextEntry() throws IOException {
    // Commons Compress reads a global header's records into what it keeps, then calls this for the
    // entry after it: that header is still the current entry here; it reads the header after a PAX
    // header or a long name through this too. (GuestTarBoundsTest checks both.)
    TarArchiveEntry current = getCurrentEntry();
    if (current != null && current.isGlobalPaxHeader()) {
      globalPaxBytes += Math.max(current.getSize(), 0);
      if (globalPaxBytes > GLOBAL_PAX_BUDGET) {
        exceeded =
            TarEntries.tooLarge("more than " + GLOBAL_PAX_BUDGET + " bytes of global PAX headers");
        throw new IOException(exceeded.getMessage());
      }
    }
    headers++;
    try {
      if (headers > MAX_HEADERS) {
        exceeded = TarEntries.tooLarge("more than " + MAX_HEADERS + " headers for one entry");
        throw new IOException(exceeded.getMessage());
      }
      return super.getNextEntry();
    } finally {
      headers--;
    }
  }
}

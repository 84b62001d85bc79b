package dev.hearth.daemon.internal.api;

import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.HearthException;
import dev.hearth.session.ArchiveLimits;
import dev.hearth.session.GuestArchiveException;
import dev.hearth.session.GuestCopy;
import dev.hearth.session.Unpacked;

/**
 * The typed API's copy out of a guest to a host path, shared by the in-process side ({@code
 * GuestRpc}) and the remote one ({@link RemoteGuest}): both unpack with session's {@code
 * GuestTarExtractor} in the calling process; this is their one mapping of its types and errors.
 */
public final class CopiesOut {
  private CopiesOut() {}

  /**
   * The entry name a copy of the guest's {@code path} holds.
   *
   * @throws HearthException {@code invalid} when the path names no file or folder
   */
  public static String entryName(String path) {
    if (path.isEmpty() || path.indexOf('\0') >= 0) {
      throw invalid("give a non-empty path without NUL characters");
    }
    try {
      return GuestCopy.entryName(path);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  public static ArchiveLimits limits(CopyLimits limits) {
    return new ArchiveLimits(limits.maxEntries(), limits.maxNameBytes(), limits.maxBytes());
  }

  public static CopiedOut result(Unpacked unpacked) {
    return new CopiedOut(
        unpacked.path(),
        unpacked.archiveBytes(),
        unpacked.refused().stream().map(r -> new CopiedOut.Refused(r.name(), r.reason())).toList(),
        unpacked.refusedCount());
  }

  /** The API's error for a copy the host side could not write. */
  public static HearthException failure(GuestArchiveException e) {
    HearthException.Kind kind =
        switch (e.kind()) {
          case NOT_FOUND -> HearthException.Kind.NOT_FOUND;
          case WRONG_KIND -> HearthException.Kind.PRECONDITION_FAILED;
          case TOO_LARGE, FAILED -> HearthException.Kind.HOST_ERROR;
        };
    return new HearthException(kind, e.getMessage(), e);
  }

  private static HearthException invalid(String why) {
    return HearthException.invalid("param 'path' of vm.copy: " + why);
  }
}

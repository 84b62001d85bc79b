package dev.hearth.workspace;

/**
 * The bundle a guest sent is not what an export may bring: too large, malformed, with other refs or
 * objects that fail git's checks, or not a fast-forward of the host branch. Nothing on the host
 * changed.
 */
public final class BundleRejectedException extends WorkspaceException {
  private static final long serialVersionUID = 1L;

  public BundleRejectedException(String message) {
    super(message);
  }
}

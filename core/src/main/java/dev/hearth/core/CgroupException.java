package dev.hearth.core;

/** A cgroup could not be made, joined, limited or removed; the message names the file. */
public class CgroupException extends CoreException {
  private static final long serialVersionUID = 1L;

  public CgroupException(String message) {
    super(message);
  }

  public CgroupException(String message, Throwable cause) {
    super(message, cause);
  }
}

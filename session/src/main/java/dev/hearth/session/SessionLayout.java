package dev.hearth.session;

import java.util.Objects;

/**
 * Where session state lives in the guest: one folder per session under {@code root}. The default
 * root is on the guest's disk, not a tmpfs, so that a guest restart leaves the folders behind and
 * their sessions are reported {@link SessionState#LOST} rather than forgotten. {@code bootIdFile}
 * tells one boot of the guest from the next.
 *
 * <p>A session folder holds: {@code meta} (name, command, folder, environment, start time, boot
 * id), {@code stdin} (a FIFO), {@code log} (stdout and stderr), {@code wrapper.pid} (the process
 * that waits for the command), {@code holder.pid} (the process that keeps the FIFO open), {@code
 * pid} (the command, leader of its own process group), {@code exit} (its exit status, written once
 * it ends) and {@code stdin-closed} (once EOF was sent).
 *
 * @param root absolute guest path of the folder holding the session folders
 * @param bootIdFile absolute guest path of the file holding the current boot's id
 */
public record SessionLayout(String root, String bootIdFile) {
  /** The layout of a real guest. */
  public static final SessionLayout GUEST =
      new SessionLayout("/var/lib/hearth/sessions", "/proc/sys/kernel/random/boot_id");

  public SessionLayout {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(bootIdFile, "bootIdFile");
    requireAbsolute("session root", root);
    requireAbsolute("boot id file", bootIdFile);
  }

  /** The folder of one session. */
  public String dir(String sessionId) {
    SessionIds.requireValid(sessionId);
    return root + "/" + sessionId;
  }

  private static void requireAbsolute(String what, String path) {
    if (!path.startsWith("/") || path.indexOf('\0') >= 0) {
      throw new InvalidSessionRequestException(
          what + " must be an absolute path without NUL; got '" + path + "'");
    }
  }
}

package dev.hearth.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The unprivileged user that host tools parsing guest-written data run as (ARCHITECTURE.md,
 * Decisions, "e2fsprogs without root"): e2fsprogs on a root disk whose filesystem a guest wrote (a
 * promoted image's, a VM's). A bug in such a tool then gives a crafted filesystem an unprivileged
 * process with no capabilities and no network, not root.
 *
 * <p>{@link #confine} wraps a command in {@code unshare --net --ipc} (a network namespace with no
 * interface up) and {@code setpriv} to this uid and gid, no supplementary groups, empty capability
 * sets and bounding set, no_new_privs. {@link #grant} makes a file (the disk image, a device node,
 * a scratch folder) owned by the user for the operation only, and gives it back afterwards. {@link
 * #ROOT} (uid 0, {@code tool_uid = 0}) confines nothing.
 */
public record ToolUser(int uid) {
  /** No confinement: commands run as the daemon does. */
  public static final ToolUser ROOT = new ToolUser(0);

  public ToolUser {
    if (uid < 0) {
      throw new IllegalArgumentException("a uid is not negative: " + uid);
    }
  }

  /** The command as this user, with no capabilities and no network; as is for {@link #ROOT}. */
  public Command confine(Command command) {
    return wrap(command, List.of());
  }

  /**
   * The name a command confined with {@link #confine(Command, Path)} gives its tool for {@code
   * file}: descriptor 3, which the wrapper opens as root before dropping to this user, so that the
   * folders on the way (the state folder is root's, 0700) need not be open to it; the file itself
   * must be {@linkplain #grant granted}. The path itself for {@link #ROOT}.
   */
  public String deviceName(Path file) {
    return uid == 0 ? file.toString() : "/proc/self/fd/3";
  }

  /** {@link #confine(Command)} with {@code file} opened read-write as descriptor 3. */
  public Command confine(Command command, Path file) {
    return wrap(
        command,
        List.of(
            "sh", "-c", "exec 3<>\"$1\" || exit 126; shift; exec \"$@\"", "sh", file.toString()));
  }

  private Command wrap(Command command, List<String> opener) {
    if (uid == 0) {
      return command;
    }
    List<String> argv = new ArrayList<>(List.of("--net", "--ipc", "--"));
    argv.addAll(opener);
    argv.addAll(
        List.of(
            "setpriv",
            "--reuid=" + uid,
            "--regid=" + uid,
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--"));
    argv.addAll(command.argv());
    Command.Builder b = Command.builder("unshare").args(argv);
    command.env().forEach(b::env);
    command.stdin().ifPresent(b::stdin);
    command.cwd().ifPresent(b::cwd);
    return b.timeout(command.timeout()).outputCap(command.outputCap()).build();
  }

  /**
   * Makes {@code files} owned by this user (uid and gid) until the grant is closed, which gives
   * each back its owner. Nothing for {@link #ROOT}.
   *
   * @throws IOException when an owner cannot be changed (those changed already are given back)
   */
  public Grant grant(List<Path> files) throws IOException {
    Grant grant = new Grant();
    if (uid == 0) {
      return grant;
    }
    try {
      for (Path file : files) {
        int ownerUid = (Integer) Files.getAttribute(file, "unix:uid");
        int ownerGid = (Integer) Files.getAttribute(file, "unix:gid");
        grant.owners.add(new Owner(file, ownerUid, ownerGid));
        Files.setAttribute(file, "unix:gid", uid);
        Files.setAttribute(file, "unix:uid", uid);
      }
      return grant;
    } catch (IOException | RuntimeException e) {
      grant.close();
      throw e;
    }
  }

  private record Owner(Path file, int uid, int gid) {}

  /** Files owned by the tool user for now; {@link #close} gives them back. */
  public static final class Grant implements AutoCloseable {
    private final List<Owner> owners = new ArrayList<>();

    private Grant() {}

    @Override
    public void close() {
      for (Owner owner : owners) {
        try {
          if (Files.exists(owner.file(), LinkOption.NOFOLLOW_LINKS) || Files.exists(owner.file())) {
            Files.setAttribute(owner.file(), "unix:uid", owner.uid());
            Files.setAttribute(owner.file(), "unix:gid", owner.gid());
          }
        } catch (IOException e) {
          throw new IllegalStateException(
              "cannot give " + owner.file() + " back to uid " + owner.uid() + ": " + e, e);
        }
      }
      owners.clear();
    }
  }
}

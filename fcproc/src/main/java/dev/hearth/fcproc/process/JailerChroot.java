package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.Command;
import dev.hearth.core.Runner;
import dev.hearth.core.TreeDeleter;
import dev.hearth.fcproc.FcprocException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One VM's jail, {@code <chroot-base>/<exec-file-name>/<id>/}, whose {@code root/} the jailer
 * pivots firecracker into. hearth makes {@code root/} before the jailer runs and puts there what
 * firecracker is to open: each file as a hard link when it is on the jail's filesystem, else bind
 * mounted onto an empty file (a device node, a disk on another filesystem). The jailer adds its
 * copy of firecracker, {@code dev/kvm} and {@code dev/net/tun}, and chowns {@code root/} itself.
 * {@link #remove} unmounts what is mounted inside and deletes the whole folder.
 */
public final class JailerChroot {
  /** Firecracker's API socket as it sees it inside the jail (its own default path). */
  public static final Path API_SOCKET = Path.of("/run/firecracker.socket");

  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");

  private final Path folder;
  private final Runner runner;
  private final Mounts mounts;

  JailerChroot(Path folder, Runner runner, Mounts mounts) {
    this.folder = requireNonNull(folder, "folder");
    this.runner = requireNonNull(runner, "runner");
    this.mounts = requireNonNull(mounts, "mounts");
  }

  /** {@code <chroot-base>/<exec-file-name>/<id>}: everything of this jail. */
  public Path folder() {
    return folder;
  }

  /** The folder the jailer makes firecracker's {@code /}. */
  public Path root() {
    return folder.resolve("root");
  }

  /** The API socket as the daemon reaches it from outside the jail. */
  public Path apiSocket() {
    return outside(API_SOCKET);
  }

  /** Where a path firecracker sees inside the jail is on the host. */
  public Path outside(Path inside) {
    if (!inside.isAbsolute()) {
      throw new IllegalArgumentException("not an absolute path inside the jail: " + inside);
    }
    return root().resolve(inside.getRoot().relativize(inside).toString());
  }

  /**
   * Makes {@code root/} and the socket's folder {@code root/run/} (owned by {@code uid}:{@code
   * gid}, so that firecracker can bind its socket there).
   */
  void create(int uid, int gid) {
    Path run = apiSocket().getParent();
    try {
      Files.createDirectories(folder.getParent());
      Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
      Files.createDirectory(root(), PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
      Files.createDirectory(run, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
      chown(run, uid, gid);
    } catch (IOException e) {
      throw new FcprocException("cannot make the jail " + folder + ": " + e, e);
    }
  }

  /**
   * Makes {@code file} firecracker's {@code /NAME}, readable by everyone but owned as it is: for
   * files shared between VMs (an image's kernel and initrd), which no VM's uid may own. A file that
   * others cannot read gets read permission for others: it is reached only through the state folder
   * (root's, mode 0700) or through a jail.
   *
   * @return the path inside the jail
   */
  Path share(String name, Path file) throws InterruptedException {
    Path inside = place(name, file);
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      if (!mode.contains(PosixFilePermission.OTHERS_READ)) {
        Set<PosixFilePermission> readable = EnumSet.copyOf(mode);
        readable.add(PosixFilePermission.OTHERS_READ);
        Files.setPosixFilePermissions(file, readable);
      }
    } catch (IOException e) {
      throw new FcprocException("cannot make " + file + " readable in the jail " + folder, e);
    }
    return inside;
  }

  /**
   * Makes {@code file} firecracker's {@code /NAME}, owned by {@code uid}:{@code gid} (the file
   * itself: a hard link and a bind mount are the same inode): for the VM's own files (root disk,
   * logs), which firecracker writes.
   *
   * @return the path inside the jail
   */
  Path give(String name, Path file, int uid, int gid) throws InterruptedException {
    Path inside = place(name, file);
    try {
      chown(file, uid, gid);
    } catch (IOException e) {
      throw new FcprocException(
          "cannot give " + file + " to uid " + uid + " for the jail " + folder + ": " + e, e);
    }
    return inside;
  }

  private Path place(String name, Path file) throws InterruptedException {
    if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
      throw new IllegalArgumentException("not a file name for the jail: '" + name + "'");
    }
    Path target = root().resolve(name);
    try {
      if (sameFilesystem(file, root()) && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        Files.createLink(target, file);
      } else {
        Files.createFile(target, PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
        runner.check(Command.of("mount", "--bind", file.toString(), target.toString()));
      }
    } catch (IOException e) {
      throw new FcprocException(
          "cannot put " + file + " into the jail " + root() + " as " + name + ": " + e, e);
    }
    return Path.of("/", name);
  }

  /**
   * Unmounts every mount inside the jail (the deepest first), then deletes its folder; nothing when
   * it does not exist.
   *
   * @throws FcprocException naming what could not be unmounted or deleted
   */
  public void remove() throws InterruptedException {
    List<Path> inside =
        mounts.under(folder).stream()
            .sorted(Comparator.comparingInt(Path::getNameCount).reversed())
            .toList();
    for (Path point : inside) {
      runner.check(Command.of("umount", point.toString()));
    }
    try {
      TreeDeleter.delete(folder);
    } catch (IOException e) {
      throw new FcprocException("cannot remove the jail " + folder + ": " + e.getMessage(), e);
    }
  }

  private static boolean sameFilesystem(Path file, Path dir) throws IOException {
    return Files.getAttribute(file, "unix:dev").equals(Files.getAttribute(dir, "unix:dev"));
  }

  static void chown(Path file, int uid, int gid) throws IOException {
    Files.setAttribute(file, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(file, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public String toString() {
    return "jail " + folder;
  }
}

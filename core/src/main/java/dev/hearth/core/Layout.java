package dev.hearth.core;

import java.nio.file.Path;

/**
 * Every path hearth uses, derived from the state and runtime folders. Nothing else in hearth puts
 * together a path under those folders.
 */
public final class Layout {
  private final Path stateDir;
  private final Path runtimeDir;

  public Layout(Path stateDir, Path runtimeDir) {
    this.stateDir = stateDir.toAbsolutePath().normalize();
    this.runtimeDir = runtimeDir.toAbsolutePath().normalize();
  }

  public static Layout of(Config config) {
    return new Layout(config.stateDir(), config.runtimeDir());
  }

  public Path stateDir() {
    return stateDir;
  }

  public Path runtimeDir() {
    return runtimeDir;
  }

  /** The SQLite database. */
  public Path database() {
    return stateDir.resolve("hearth.db");
  }

  public Path imagesDir() {
    return stateDir.resolve("images");
  }

  /** A published image's folder: {@code vmlinux}, {@code rootfs.ext4}, optional {@code initrd}. */
  public Path imageDir(String imageName) {
    return imagesDir().resolve(Names.requireValid("image", imageName));
  }

  /** Where image builds and registrations are assembled before their atomic publish. */
  public Path imageStagingDir() {
    return stateDir.resolve("staging");
  }

  /**
   * Where image builds cache their debootstrapped base trees (one folder per build script cache
   * key), outside the staging folder so that a cache outlives the build that made it.
   */
  public Path imageBuildCacheDir() {
    return stateDir.resolve("cache").resolve("build");
  }

  /**
   * Where reconcile moves what it finds on disk and the database does not list (a VM folder, a root
   * disk), instead of deleting it; see {@link Quarantine}.
   */
  public Path quarantineDir() {
    return stateDir.resolve("quarantine");
  }

  public Path vmsDir() {
    return stateDir.resolve("vms");
  }

  /** A VM's folder: its COW file, console log and firecracker log. */
  public Path vmDir(String vmId) {
    return vmsDir().resolve(requireId(vmId));
  }

  /** The daemon's guest SSH key pair. */
  public Path sshDir() {
    return stateDir.resolve("ssh");
  }

  public Path sshPrivateKey() {
    return sshDir().resolve("id_ed25519");
  }

  public Path sshPublicKey() {
    return sshDir().resolve("id_ed25519.pub");
  }

  /** The daemon's RPC socket. */
  public Path socket() {
    return runtimeDir.resolve("hearth.sock");
  }

  /**
   * The web UI's login URL with its token (ARCHITECTURE.md, "Web UI"), for {@code hearth ui}:
   * beside the socket, so that a client that knows the socket finds it.
   */
  public Path webUrlFile() {
    return webUrlFileBeside(socket());
  }

  /** {@link #webUrlFile()} of the daemon whose socket is {@code socket}. */
  public static Path webUrlFileBeside(Path socket) {
    return socket.resolveSibling("web.url");
  }

  public Path pidFile() {
    return runtimeDir.resolve("hearth.pid");
  }

  /** Locked by the running daemon, so that only one serves a runtime folder. */
  public Path lockFile() {
    return runtimeDir.resolve("hearth.lock");
  }

  public Path vmSocketsDir() {
    return runtimeDir.resolve("vms");
  }

  /** A VM's Firecracker API socket. */
  public Path vmApiSocket(String vmId) {
    return vmSocketsDir().resolve(requireId(vmId) + ".sock");
  }

  private static String requireId(String id) {
    if (!id.matches("[a-f0-9]{1,64}")) {
      throw new InvalidNameException("invalid id '" + Printable.of(id) + "': expected hex digits");
    }
    return id;
  }

  @Override
  public String toString() {
    return "Layout[state=" + stateDir + ", runtime=" + runtimeDir + "]";
  }
}

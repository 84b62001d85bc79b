package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.daemon.internal.api.RemoteHearth;
import java.nio.file.Path;

/**
 * hearth as a Java library: the same typed API in-process ({@link #open}) and over a daemon's
 * socket ({@link #connect}). Failures are {@link HearthException}s with the same kind and message
 * either way.
 *
 * <pre>{@code
 * try (Hearth hearth = Hearth.open(Config.load())) {
 *   hearth.vms().create(VmSpec.of("demo", "debian")).operation().await();
 *   int code = hearth.vms().exec("demo", ExecSpec.of("uname", "-a"), (fd, bytes) -> ...);
 *   hearth.vms().delete("demo", true);
 * }
 * }</pre>
 */
public interface Hearth extends AutoCloseable {
  /** The JSON-RPC protocol version of this hearth; {@link #connect} requires the daemon's same. */
  int PROTOCOL_VERSION = 1;

  /**
   * hearth in this process: takes the runtime folder's lock (so no daemon may run on the same
   * folders meanwhile), opens the store, reconciles the host with it, and serves no socket.
   *
   * @throws DaemonAlreadyRunningException when a daemon holds the runtime folder
   */
  static Hearth open(Config config) {
    return Daemon.openInProcess(config, Daemon.Seams.system());
  }

  /**
   * A daemon serving on {@code socket}; the protocol version is checked here.
   *
   * @throws HearthException {@code unavailable} when no daemon answers, {@code protocol} when it
   *     speaks another protocol version
   */
  static Hearth connect(Path socket) {
    return RemoteHearth.connect(socket);
  }

  Vms vms();

  Ops ops();

  Images images();

  Sessions sessions();

  Workspaces workspaces();

  VersionInfo version();

  /** The doctor's checks of the host, as hearth (in-process, or the daemon) sees it. */
  DoctorReport doctor();

  /** Checks that hearth answers. */
  void ping();

  /**
   * In-process: shuts hearth down as a daemon stop does (VMs keep running). Remote: disconnects.
   */
  @Override
  void close();
}

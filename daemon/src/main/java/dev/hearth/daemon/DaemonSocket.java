package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.core.ConfigException;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.rpc.JsonRpcProtocol;
import dev.hearth.core.rpc.PeerAuthorizer;
import dev.hearth.core.rpc.RpcServer;
import dev.hearth.daemon.internal.rpc.Dispatcher;
import dev.hearth.daemon.internal.rpc.GuestMethods;
import dev.hearth.daemon.internal.rpc.ImageMethods;
import dev.hearth.daemon.internal.rpc.RpcHandler;
import dev.hearth.daemon.internal.rpc.SessionMethods;
import dev.hearth.daemon.internal.rpc.SocketGroupAuthorizer;
import dev.hearth.daemon.internal.rpc.VmMethods;
import dev.hearth.daemon.internal.workspace.WorkspaceRpc;
import dev.hearth.fcproc.VmmChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The daemon's socket: bound with the dispatcher, mode 0660 and the socket group. */
final class DaemonSocket {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private DaemonSocket() {}

  /** The workspace methods, as handlers beside the tests' extra ones. */
  private static Map<String, RpcHandler> withWorkspaces(
      Map<String, RpcHandler> extra, Map<String, RpcHandler> workspaceMethods) {
    Map<String, RpcHandler> all = new HashMap<>(workspaceMethods);
    all.putAll(extra);
    return all;
  }

  /**
   * Every method name the daemon's socket serves (the dispatcher's table and the workspace
   * methods), without the tests' extra handlers.
   */
  static Set<String> methods() {
    Set<String> all = new LinkedHashSet<>(Dispatcher.methods());
    all.addAll(WorkspaceRpc.methods());
    return all;
  }

  static RpcServer bind(
      Config config,
      Layout layout,
      Daemon.Seams seams,
      VmMethods vmMethods,
      RpcHandler imageBuild,
      ImageMethods imageMethods,
      GuestMethods guestMethods,
      SessionMethods sessionMethods,
      Map<String, RpcHandler> workspaceMethods,
      Supplier<VmmChoice> vmm) {
    Path socket = layout.socket();
    try {
      if (Files.deleteIfExists(socket)) {
        log.info("removed the stale socket {} of a daemon that did not stop cleanly", socket);
      }
      Dispatcher dispatcher =
          new Dispatcher(
              () -> Daemon.doctor(config, seams.vmmSelector()),
              seams.posix().getpid(),
              vmm,
              vmMethods,
              imageBuild,
              imageMethods,
              guestMethods,
              sessionMethods,
              withWorkspaces(seams.extraHandlers(), workspaceMethods));
      RpcServer.Limits limits = limits(config);
      return RpcServer.bind(
          socket,
          new JsonRpcProtocol(dispatcher),
          seams.peerAuthorizer().orElseGet(() -> defaultAuthorizer(config, seams)),
          limits,
          seams.clock());
    } catch (IOException e) {
      throw new DaemonException("cannot listen on socket " + socket + ": " + e.getMessage(), e);
    }
  }

  /** The listener's bounds; keys that contradict each other are a config error naming them. */
  static RpcServer.Limits limits(Config config) {
    try {
      return new RpcServer.Limits(
          config.maxConnections(),
          config.maxConnectionsPerUid(),
          config.rootReservedConnections(),
          config.clientIdleTimeout(),
          config.clientWriteTimeout(),
          config.shutdownGrace());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "config" + config.source().map(p -> " file " + p).orElse("") + ": " + e.getMessage());
    }
  }

  private static PeerAuthorizer defaultAuthorizer(Config config, Daemon.Seams seams) {
    Optional<String> group = config.socketGroup();
    OptionalInt gid = group.isPresent() ? seams.posix().groupId(group.get()) : OptionalInt.empty();
    return new SocketGroupAuthorizer(
        seams.posix().geteuid(),
        group,
        gid.isPresent() ? OptionalLong.of(gid.getAsInt()) : OptionalLong.empty(),
        seams.supplementaryGroups());
  }

  /** Mode 0660 and the socket group, so that its members can connect. */
  static void secure(Path socket, Optional<String> group, Posix posix) {
    try {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
    } catch (IOException e) {
      throw new DaemonException(
          "cannot set mode 0660 on socket " + socket + ": " + e.getMessage(), e);
    }
    if (group.isEmpty()) {
      return;
    }
    OptionalInt gid = posix.groupId(group.get());
    if (gid.isEmpty()) {
      log.warn(
          "socket_group '{}' does not exist; only root and the daemon's user can use {}"
              + " (create the group and restart the daemon)",
          group.get(),
          socket);
      return;
    }
    posix.chgrp(socket, gid.getAsInt());
  }
}

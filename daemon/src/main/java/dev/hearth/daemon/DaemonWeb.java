package dev.hearth.daemon;

import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.daemon.internal.web.WebServer;
import dev.hearth.daemon.internal.web.WebSources;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web UI's place in the daemon: started with the socket when {@code web_listen_addr} is set. It
 * is an experimental read-only view, so a port that is taken costs the web UI, not the daemon.
 */
final class DaemonWeb {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private DaemonWeb() {}

  static Optional<WebServer> start(
      Config config, Layout layout, Daemon.Seams seams, WebSources sources) {
    Optional<String> listen = config.webListenAddr();
    try {
      // A daemon that died left its URL: hearth ui must not print it for this one.
      Files.deleteIfExists(layout.webUrlFile());
    } catch (IOException e) {
      throw new DaemonException("cannot remove " + layout.webUrlFile() + ": " + e.getMessage(), e);
    }
    if (listen.isEmpty()) {
      return Optional.empty();
    }
    OptionalInt gid =
        config.socketGroup().isPresent()
            ? seams.posix().groupId(config.socketGroup().get())
            : OptionalInt.empty();
    try {
      return Optional.of(
          WebServer.start(
              new WebServer.Settings(
                  listen.get(), layout.webUrlFile(), gid, seams.posix(), seams.clock()),
              sources));
    } catch (IOException | RuntimeException e) {
      log.warn(
          "the web UI is off: cannot serve it on {} (web_listen_addr): {}",
          listen.get(),
          e.toString());
      return Optional.empty();
    }
  }
}

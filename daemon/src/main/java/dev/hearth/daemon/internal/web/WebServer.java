package dev.hearth.daemon.internal.web;

import com.sun.net.httpserver.HttpServer;
import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalInt;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's read-only web UI on the JDK's HTTP server (ARCHITECTURE.md, "Web UI"): a token made
 * at start and written with the login URL to {@code runtime_dir/web.url} (mode 0640, the socket
 * group's) for {@code hearth ui}; requests on {@link #THREADS} threads of its own, so that the web
 * UI never takes a thread of the RPC socket or of a VM.
 */
public final class WebServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebServer.class);

  /** Request threads. */
  public static final int THREADS = 4;

  /** Requests waiting for a thread at most; past them a connection is dropped. */
  public static final int QUEUE = 64;

  /** Connections waiting for accept at most (the kernel's listen backlog). */
  static final int BACKLOG = 64;

  /**
   * Where and how: the configured {@code host:port} (port 0: any free one), the URL file, the
   * socket group's gid (empty: root's only), and the OS and clock.
   */
  public record Settings(
      String listen, Path urlFile, OptionalInt groupId, Posix posix, Clock clock) {}

  private final HttpServer server;
  private final ThreadPoolExecutor pool;
  private final WebEvents events;
  private final Path urlFile;
  private final String url;

  private WebServer(
      HttpServer server, ThreadPoolExecutor pool, WebEvents events, Path urlFile, String url) {
    this.server = server;
    this.pool = pool;
    this.events = events;
    this.urlFile = urlFile;
    this.url = url;
  }

  /**
   * Binds, writes the URL file and serves.
   *
   * @throws IOException when the address cannot be bound or the URL file cannot be written
   */
  public static WebServer start(Settings settings, WebSources sources) throws IOException {
    int colon = settings.listen().lastIndexOf(':');
    String host = settings.listen().substring(0, colon);
    int port = Integer.parseInt(settings.listen().substring(colon + 1));
    InetAddress address = InetAddress.getByName(host.replaceAll("^\\[|]$", ""));
    HttpServer server = HttpServer.create(new InetSocketAddress(address, port), BACKLOG);
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "hearth-web-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            (task, executor) -> log.warn("the web UI is saturated: a request was dropped"));
    pool.allowCoreThreadTimeOut(true);
    int bound = server.getAddress().getPort();
    String urlHost = address.isAnyLocalAddress() ? "127.0.0.1" : host;
    String token = WebAccess.newToken();
    String url = "http://" + urlHost + ":" + bound + "/login?token=" + token;
    WebApi api = new WebApi(sources);
    WebEvents events = new WebEvents(api);
    WebAccess access = new WebAccess(token, settings.clock(), WebAccess.hostsFor(host, bound));
    server.createContext("/", new WebHandler(access, api, events, WebAssets.load()));
    server.setExecutor(pool);
    try {
      writeUrlFile(settings, url);
    } catch (IOException | RuntimeException e) {
      events.close();
      pool.shutdownNow();
      throw e;
    }
    server.start();
    log.info("web UI on http://{}:{}/ (hearth ui prints its URL)", urlHost, bound);
    return new WebServer(server, pool, events, settings.urlFile(), url);
  }

  /** The address the server is bound to (its port, when the config said 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The login URL with the token, as {@code hearth ui} prints it. */
  public String url() {
    return url;
  }

  private static void writeUrlFile(Settings settings, String url) throws IOException {
    Path file = settings.urlFile();
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    Files.deleteIfExists(partial);
    Files.createFile(
        partial,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(partial, url + "\n", StandardCharsets.US_ASCII);
      if (settings.groupId().isPresent()) {
        settings.posix().chgrp(partial, settings.groupId().getAsInt());
      }
      Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-r-----"));
      Files.move(
          partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(partial);
      throw e;
    }
  }

  /** Stops serving (open streams are cut), and removes the URL file. */
  @Override
  public void close() {
    server.stop(0);
    events.close();
    pool.shutdownNow();
    try {
      Files.deleteIfExists(urlFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the web UI's URL file " + urlFile, e);
    }
  }
}

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
import java.time.Duration;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's read-only web UI on the JDK's HTTP server (ARCHITECTURE.md, "Web UI"): a token made
 * at start and written with the login URL to {@code runtime_dir/web.url} (mode 0640, the socket
 * group's) for {@code hearth ui}; requests on {@link #THREADS} threads of its own ({@link
 * WebExecutor}), so that the web UI never takes a thread of the RPC socket or of a VM. Every
 * connection is bounded in number and in time, so that a local user without the token cannot make
 * the root daemon hold sockets (file descriptors) or threads for good.
 */
public final class WebServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebServer.class);

  /** Request threads. */
  public static final int THREADS = 4;

  /** Requests waiting for a thread at most; past them a connection is closed unserved. */
  public static final int QUEUE = 64;

  /** Connections waiting for accept at most (the kernel's listen backlog). */
  static final int BACKLOG = 64;

  /**
   * Open connections at most (each a file descriptor of the daemon): room for the threads and the
   * queue (68), the event streams (16) and browsers' idle keep-alive connections. Past it the JDK's
   * server closes a new connection as soon as it accepts it.
   */
  static final int MAX_CONNECTIONS = 128;

  /**
   * A request's line and headers must have come this long after its first byte (time waiting for a
   * thread included), and a new connection must have sent its first byte by then; else the JDK's
   * server closes it. A browser sends them at once.
   */
  static final Duration REQUEST_TIME = Duration.ofSeconds(5);

  /**
   * How often the JDK's server looks for idle connections to close (with its own 10 s a silent
   * connection would live up to 15 s).
   */
  static final Duration IDLE_SWEEP = Duration.ofSeconds(1);

  /**
   * How long one exchange may hold a request thread, its answer's write included, so that a client
   * that does not read its answers cannot keep the thread: twice a guest call's default timeout
   * ({@code guest_call_timeout}, 30 s), and six times a session output's read.
   */
  static final Duration EXCHANGE_TIME = Duration.ofSeconds(60);

  /**
   * Where and how: the configured {@code host:port} (port 0: any free one), the URL file, the
   * socket group's gid (empty: root's only), and the OS and clock.
   */
  public record Settings(
      String listen, Path urlFile, OptionalInt groupId, Posix posix, Clock clock) {}

  private final HttpServer server;
  private final WebExecutor pool;
  private final WebDeadlines deadlines;
  private final WebEvents events;
  private final Path urlFile;
  private final String url;

  private WebServer(
      HttpServer server,
      WebExecutor pool,
      WebDeadlines deadlines,
      WebEvents events,
      Path urlFile,
      String url) {
    this.server = server;
    this.pool = pool;
    this.deadlines = deadlines;
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
    return start(settings, sources, EXCHANGE_TIME);
  }

  /** {@link #start(Settings, WebSources)} with another exchange time (for tests). */
  static WebServer start(Settings settings, WebSources sources, Duration exchangeTime)
      throws IOException {
    int colon = settings.listen().lastIndexOf(':');
    String host = settings.listen().substring(0, colon);
    int port = Integer.parseInt(settings.listen().substring(colon + 1));
    InetAddress address = InetAddress.getByName(host.replaceAll("^\\[|]$", ""));
    boundTheJdkServer();
    HttpServer server = HttpServer.create(new InetSocketAddress(address, port), BACKLOG);
    WebDeadlines deadlines = new WebDeadlines();
    WebExecutor pool = new WebExecutor(THREADS, QUEUE, exchangeTime, deadlines, settings.clock());
    int bound = server.getAddress().getPort();
    String urlHost = address.isAnyLocalAddress() ? "127.0.0.1" : host;
    String token = WebAccess.newToken();
    String url = "http://" + urlHost + ":" + bound + "/login?token=" + token;
    WebApi api = new WebApi(sources, deadlines);
    WebEvents events = new WebEvents(api);
    WebAccess access = new WebAccess(token, settings.clock(), WebAccess.hostsFor(host, bound));
    server.createContext("/", new WebHandler(access, api, events, WebAssets.load()));
    server.setExecutor(pool);
    try {
      writeUrlFile(settings, url);
    } catch (IOException | RuntimeException e) {
      server.stop(0);
      events.close();
      pool.close();
      deadlines.close();
      throw e;
    }
    server.start();
    log.info("web UI on http://{}:{}/ (hearth ui prints its URL)", urlHost, bound);
    return new WebServer(server, pool, deadlines, events, settings.urlFile(), url);
  }

  /** The address the server is bound to (its port, when the config said 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The login URL with the token, as {@code hearth ui} prints it. */
  public String url() {
    return url;
  }

  /**
   * The JDK server's own bounds. They are system properties that its classes read once, when the
   * JVM makes its first {@link HttpServer}, so they are set here, before that, for the whole JVM
   * (the daemon serves no other HTTP; a {@code -D} of the same name is overridden): {@link
   * #MAX_CONNECTIONS}, {@link #REQUEST_TIME} (in seconds, which is what the JDK reads, whatever its
   * javadoc says) and {@link #IDLE_SWEEP}. Not {@code sun.net.httpserver.maxRspTime}: it counts
   * until an answer ends, so it would cut every event stream; {@link #EXCHANGE_TIME} bounds the
   * other answers.
   */
  private static void boundTheJdkServer() {
    System.setProperty("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
    System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(REQUEST_TIME.toSeconds()));
    System.setProperty("sun.net.httpserver.clockTick", Long.toString(IDLE_SWEEP.toMillis()));
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
    pool.close();
    deadlines.close();
    try {
      Files.deleteIfExists(urlFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the web UI's URL file " + urlFile, e);
    }
  }
}

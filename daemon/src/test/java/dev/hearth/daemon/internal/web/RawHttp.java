package dev.hearth.daemon.internal.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * HTTP/1.1 by hand over real sockets, for the web package's tests: one request per connection,
 * reads with a 30 s timeout; and the event stream's lines.
 */
final class RawHttp {
  /** Status and body of an answer (with its Set-Cookie, if any). */
  record Response(int status, String setCookie, String body) {}

  static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final InetSocketAddress server;

  RawHttp(InetSocketAddress server) {
    this.server = server;
  }

  String host() {
    return "127.0.0.1:" + server.getPort();
  }

  /** A connection to the server, not yet used. */
  Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(server, (int) READ_TIMEOUT.toMillis());
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    return socket;
  }

  Response get(String path, String... headers) throws IOException {
    try (Socket socket = connect()) {
      StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
      request.append("Host: ").append(host()).append("\r\n");
      for (String h : headers) {
        request.append(h).append("\r\n");
      }
      request.append("Connection: close\r\n\r\n");
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
      InputStream in = socket.getInputStream();
      int status = Integer.parseInt(line(in).split(" ")[1]);
      String setCookie = null;
      int length = -1;
      for (String line = line(in); !line.isEmpty(); line = line(in)) {
        String name = line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT);
        String value = line.substring(line.indexOf(':') + 1).strip();
        if (name.equals("set-cookie")) {
          setCookie = value;
        } else if (name.equals("content-length")) {
          length = Integer.parseInt(value);
        }
      }
      byte[] body = length >= 0 ? in.readNBytes(length) : in.readAllBytes();
      return new Response(status, setCookie, new String(body, StandardCharsets.UTF_8));
    }
  }

  /** Logs in with the URL the server wrote and returns the {@code Cookie} header's value. */
  String login(String url) throws IOException {
    Response r = get(url.substring(url.indexOf('/', "http://".length())));
    assertThat(r.status()).as("login: %s", r.body()).isEqualTo(200);
    return r.setCookie().split(";")[0];
  }

  /** Opens {@code /api/events...} and returns the socket, its status line read. */
  Socket openEvents(String path, String cookie) throws IOException {
    Socket socket = connect();
    String request =
        "GET " + path + " HTTP/1.1\r\nHost: " + host() + "\r\nCookie: " + cookie + "\r\n\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
    assertThat(line(socket.getInputStream())).isEqualTo("HTTP/1.1 200 OK");
    return socket;
  }

  /** Reads events (each read bounded by the socket's timeout) until one named so matches. */
  static void awaitEvent(InputStream in, String name, Predicate<String> matches)
      throws IOException {
    List<String> seen = new ArrayList<>();
    String event = null;
    while (true) {
      String line = line(in);
      // Chunk sizes of the chunked encoding come as lines of their own.
      if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        seen.add(event);
        if (name.equals(event) && matches.test(line.substring(6))) {
          return;
        }
      }
      assertThat(seen).as("events while waiting for %s", name).hasSizeLessThan(50);
    }
  }

  /**
   * Waits until the server has closed the connection: what it sent read and dropped, then the end
   * of the stream or a reset. Fails at {@code deadline} (a {@link System#nanoTime()}).
   */
  static void awaitClosedByServer(Socket socket, long deadline, String what) throws IOException {
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[64 * 1024];
    while (true) {
      long left = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
      if (left <= 0) {
        fail("the server did not close " + what + " in time");
      }
      socket.setSoTimeout((int) left);
      try {
        if (in.read(buffer) < 0) {
          return;
        }
      } catch (SocketTimeoutException e) {
        fail("the server did not close " + what + " in time");
      } catch (SocketException e) {
        return; // reset: closed with our bytes unread
      }
    }
  }

  /** One line without its CRLF. */
  static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.UTF_8);
  }
}

package dev.hearth.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 by hand for the web UI's tests, so that a test can send any Host header and method (the
 * JDK's client refuses to set Host). One request per connection; reads with a 60 s timeout.
 */
final class WebHttp {
  /** What came back: status, headers (names lower case) and body. */
  record Response(int status, Map<String, List<String>> headers, String body) {
    Optional<String> header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? Optional.empty() : Optional.of(values.get(0));
    }
  }

  private final InetSocketAddress server;

  WebHttp(InetSocketAddress server) {
    this.server = server;
  }

  /** The server of a URL such as the one in {@code web.url}. */
  static WebHttp of(String url) {
    URI uri = URI.create(url);
    return new WebHttp(new InetSocketAddress(uri.getHost(), uri.getPort()));
  }

  String host() {
    return "127.0.0.1:" + server.getPort();
  }

  Response get(String path, String... headers) throws IOException {
    return send("GET", path, host(), headers);
  }

  Response send(String method, String path, String host, String... headers) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(server, 60_000);
      socket.setSoTimeout(60_000);
      StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
      if (host != null) {
        request.append("Host: ").append(host).append("\r\n");
      }
      for (String h : headers) {
        request.append(h).append("\r\n");
      }
      request.append("Connection: close\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return read(socket.getInputStream(), method.equals("HEAD"));
    }
  }

  /**
   * Opens an event stream and returns its socket's input after the headers (the caller reads the
   * events and closes the socket).
   */
  Socket openEvents(String path, String cookie) throws IOException {
    Socket socket = new Socket();
    socket.connect(server, 60_000);
    socket.setSoTimeout(60_000);
    String request =
        "GET " + path + " HTTP/1.1\r\nHost: " + host() + "\r\nCookie: " + cookie + "\r\n\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
    return socket;
  }

  private static Response read(InputStream in, boolean head) throws IOException {
    String status = line(in);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String line = line(in); !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      headers
          .computeIfAbsent(
              line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(line.substring(colon + 1).strip());
    }
    byte[] body = head ? new byte[0] : body(in, headers);
    return new Response(
        Integer.parseInt(status.split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
  }

  private static byte[] body(InputStream in, Map<String, List<String>> headers) throws IOException {
    List<String> length = headers.get("content-length");
    if (length != null) {
      return in.readNBytes(Integer.parseInt(length.get(0)));
    }
    List<String> encoding = headers.get("transfer-encoding");
    if (encoding == null || !encoding.get(0).equalsIgnoreCase("chunked")) {
      return in.readAllBytes();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (true) {
      int size = Integer.parseInt(line(in).strip(), 16);
      if (size == 0) {
        line(in);
        return out.toByteArray();
      }
      out.write(in.readNBytes(size));
      line(in);
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

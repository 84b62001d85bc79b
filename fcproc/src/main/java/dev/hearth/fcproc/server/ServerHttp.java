package dev.hearth.fcproc.server;

import dev.hearth.fcproc.internal.HttpCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * The server side of HTTP/1.1 as Firecracker speaks it on its API socket: request lines, headers
 * with a Content-Length body (no chunked bodies, at most {@link FirecrackerApiServer#MAX_PAYLOAD}
 * bytes), and keep-alive responses.
 */
final class ServerHttp {
  private ServerHttp() {}

  /** A request read off the connection, or why it cannot be served ({@code fault}). */
  record Request(String method, String path, String body, Optional<String> fault) {
    static Request refused(String fault) {
      return new Request("", "", "", Optional.of(fault));
    }
  }

  /** Reads the headers and body of a request whose request line has been read. */
  static Request readRequest(String requestLine, InputStream in) throws IOException {
    String[] parts = requestLine.split(" ");
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
      return Request.refused("Invalid HTTP request line: " + requestLine);
    }
    long length = 0;
    boolean chunked = false;
    String line;
    while ((line = readLine(in)) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        return Request.refused("Invalid HTTP header: " + line);
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        try {
          length = Long.parseLong(value);
        } catch (NumberFormatException e) {
          return Request.refused("Invalid Content-Length: " + value);
        }
      } else if (name.equals("transfer-encoding")) {
        chunked = true;
      }
    }
    if (chunked) {
      return Request.refused("Transfer-Encoding is not supported.");
    }
    if (length > FirecrackerApiServer.MAX_PAYLOAD) {
      return Request.refused(
          "Request payload with size "
              + length
              + " is larger than the limit of "
              + FirecrackerApiServer.MAX_PAYLOAD
              + " allowed by server.");
    }
    byte[] body = in.readNBytes((int) Math.max(0, length));
    return new Request(
        parts[0], parts[1], new String(body, StandardCharsets.UTF_8), Optional.empty());
  }

  static void writeResponse(OutputStream out, ApiResponse r) throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(r.status());
    head.append(r.status() == 204 ? " No Content" : r.status() == 200 ? " OK" : " Bad Request");
    head.append("\r\nServer: Firecracker API\r\nConnection: keep-alive\r\n");
    byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
    if (r.status() != 204) {
      head.append("Content-Type: application/json\r\nContent-Length: ")
          .append(body.length)
          .append("\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  /** One CRLF- or LF-terminated line; null at the end of the stream. */
  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      if (line.size() > HttpCodec.MAX_HEADER_LINE) {
        throw new IOException("header line too long");
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
  }
}

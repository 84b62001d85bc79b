package dev.hearth.fcproc.internal;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The little HTTP/1.1 that the Firecracker API needs, written by hand: one request with a JSON
 * body, one response with a Content-Length, chunked or close-delimited body.
 */
public final class HttpCodec {
  public static final int MAX_HEADER_LINE = 8 * 1024;
  static final int MAX_HEADERS = 100;
  static final int MAX_BODY = 1 << 20;

  private HttpCodec() {}

  /** Writes a request; {@code body} is null for a request without one. */
  public static void writeRequest(OutputStream out, String method, String path, String body)
      throws IOException {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    head.append("Host: localhost\r\n");
    head.append("Accept: application/json\r\n");
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    if (body != null) {
      head.append("Content-Type: application/json\r\n");
      head.append("Content-Length: ").append(bytes.length).append("\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
  }

  /** Reads one response. */
  public static HttpResponse readResponse(InputStream in) throws IOException {
    String statusLine = readLine(in);
    if (statusLine == null) {
      throw new MalformedResponseException("the connection closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new MalformedResponseException("not an HTTP status line: '" + statusLine + "'");
    }
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new MalformedResponseException("not an HTTP status line: '" + statusLine + "'");
    }
    long contentLength = -1;
    boolean chunked = false;
    for (int i = 0; ; i++) {
      String line = readLine(in);
      if (line == null) {
        throw new MalformedResponseException("the connection closed inside the headers");
      }
      if (line.isEmpty()) {
        break;
      }
      if (i >= MAX_HEADERS) {
        throw new MalformedResponseException("more than " + MAX_HEADERS + " headers");
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new MalformedResponseException("malformed header line: '" + line + "'");
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        try {
          contentLength = Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new MalformedResponseException("bad Content-Length '" + value + "'");
        }
      } else if (name.equals("transfer-encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
      }
    }
    byte[] body;
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
      body = new byte[0];
    } else if (chunked) {
      body = readChunked(in);
    } else if (contentLength >= 0) {
      if (contentLength > MAX_BODY) {
        throw new MalformedResponseException("response body of " + contentLength + " bytes");
      }
      body = in.readNBytes((int) contentLength);
      if (body.length < contentLength) {
        throw new EOFException(
            "the connection closed after " + body.length + " of " + contentLength + " body bytes");
      }
    } else {
      body = readToEnd(in);
    }
    return new HttpResponse(status, new String(body, StandardCharsets.UTF_8));
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in);
      if (sizeLine == null) {
        throw new EOFException("the connection closed inside a chunked body");
      }
      int semicolon = sizeLine.indexOf(';');
      String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim();
      int size;
      try {
        size = Integer.parseInt(hex, 16);
      } catch (NumberFormatException e) {
        throw new MalformedResponseException("bad chunk size '" + sizeLine + "'");
      }
      if (size < 0 || body.size() + (long) size > MAX_BODY) {
        throw new MalformedResponseException("chunked body larger than " + MAX_BODY + " bytes");
      }
      if (size == 0) {
        // Trailers, up to the empty line that ends the message.
        String trailer;
        do {
          trailer = readLine(in);
        } while (trailer != null && !trailer.isEmpty());
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes(size);
      if (chunk.length < size) {
        throw new EOFException("the connection closed inside a chunk");
      }
      body.write(chunk);
      String end = readLine(in);
      if (end == null || !end.isEmpty()) {
        throw new MalformedResponseException("a chunk is not followed by CRLF");
      }
    }
  }

  private static byte[] readToEnd(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) {
      throw new MalformedResponseException("response body larger than " + MAX_BODY + " bytes");
    }
    return body;
  }

  /** A CRLF (or bare LF) terminated line without its terminator; null at end of stream. */
  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (line.size() == 0) {
          return null;
        }
        throw new EOFException("the connection closed inside a line");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
      }
      if (line.size() >= MAX_HEADER_LINE) {
        throw new MalformedResponseException("a header line longer than " + MAX_HEADER_LINE);
      }
      line.write(b);
    }
  }
}

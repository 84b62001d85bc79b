package dev.hearth.fcproc.client;

import dev.hearth.fcproc.internal.HttpCodec;
import dev.hearth.fcproc.internal.HttpResponse;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The real transport: one junixsocket connection per request, with bounded timeouts. */
final class UnixSocketTransport implements ApiTransport {
  private final Path socket;
  private final int timeoutMillis;

  UnixSocketTransport(Path socket, Duration timeout) {
    this.socket = socket;
    this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
  }

  @Override
  public HttpResponse exchange(String method, String path, String body) throws IOException {
    try (AFUNIXSocket s = AFUNIXSocket.newInstance()) {
      s.connect(AFUNIXSocketAddress.of(socket), timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      HttpCodec.writeRequest(new BufferedOutputStream(s.getOutputStream()), method, path, body);
      return HttpCodec.readResponse(new BufferedInputStream(s.getInputStream()));
    } catch (SocketTimeoutException e) {
      SocketTimeoutException timeout =
          new SocketTimeoutException("no answer within " + timeoutMillis + " ms");
      timeout.initCause(e);
      throw timeout;
    }
  }

  @Override
  public boolean accepts() {
    try (AFUNIXSocket s = AFUNIXSocket.newInstance()) {
      s.connect(AFUNIXSocketAddress.of(socket), timeoutMillis);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}

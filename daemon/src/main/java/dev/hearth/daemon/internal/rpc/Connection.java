package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.hearth.daemon.RpcException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Optional;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: reads request lines and answers them one after the other, on its own
 * thread. Reads time out after the idle timeout; no read is pending while a request runs.
 */
final class Connection implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  private final AFUNIXSocket socket;
  private final JsonRpcProtocol protocol;
  private final PeerAuthorizer authorizer;
  private final Duration idleTimeout;
  private final Object stateLock = new Object();
  private boolean requestRunning;
  private boolean stopping;

  Connection(
      AFUNIXSocket socket,
      JsonRpcProtocol protocol,
      PeerAuthorizer authorizer,
      Duration idleTimeout) {
    this.socket = socket;
    this.protocol = protocol;
    this.authorizer = authorizer;
    this.idleTimeout = idleTimeout;
  }

  @Override
  public void run() {
    try {
      PeerCredentials peer = credentials();
      Optional<String> refusal = authorizer.refusal(peer);
      if (refusal.isPresent()) {
        log.warn(
            "refused a client (uid {}, gid {}, pid {}): {}",
            peer.uid(),
            peer.gid(),
            peer.pid(),
            refusal.get());
      }
      socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, idleTimeout.toMillis())));
      serve(refusal);
    } catch (InterruptedException e) {
      // Forced shutdown: the daemon is closing this connection.
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.debug("client connection ended: {}", e.toString());
    } finally {
      close();
    }
  }

  private void serve(Optional<String> refusal) throws IOException, InterruptedException {
    InputStream in = socket.getInputStream();
    OutputStream out = socket.getOutputStream();
    LineReader reader = new LineReader(in, Wire.MAX_LINE_BYTES);
    while (true) {
      LineReader.Status status;
      try {
        status = reader.next();
      } catch (SocketTimeoutException e) {
        log.debug("closing a client connection idle for {}", idleTimeout);
        return;
      }
      switch (status) {
        case EOF:
          return;
        case EOF_MID_LINE:
          log.debug("a client disconnected in the middle of a request");
          return;
        case TOO_LONG:
          write(
              out,
              JsonRpcProtocol.errorReply(
                  NullNode.instance,
                  ErrorKind.INVALID_REQUEST.error(
                      "the request line is longer than the limit of "
                          + Wire.MAX_LINE_BYTES
                          + " bytes (1 MiB); closing the connection")));
          return;
        default:
          break;
      }
      byte[] line = reader.line();
      if (refusal.isPresent()) {
        RpcException error = ErrorKind.UNAUTHORIZED.error(refusal.get());
        write(out, JsonRpcProtocol.errorReply(JsonRpcProtocol.idOf(line), error));
        return;
      }
      if (!beginRequest()) {
        return;
      }
      Optional<byte[]> reply = protocol.handle(line, sink(out));
      if (reply.isPresent()) {
        write(out, reply.get());
      }
      if (!endRequest()) {
        return;
      }
    }
  }

  /** Closes the connection now if it waits for a request, else after the running one. */
  void stopAfterCurrentRequest() {
    synchronized (stateLock) {
      stopping = true;
      if (!requestRunning) {
        close();
      }
    }
  }

  /** Closes the connection now. */
  void close() {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("closing a client connection failed: {}", e.toString());
    }
  }

  private boolean beginRequest() {
    synchronized (stateLock) {
      requestRunning = !stopping;
      return requestRunning;
    }
  }

  private boolean endRequest() {
    synchronized (stateLock) {
      requestRunning = false;
      return !stopping;
    }
  }

  private PeerCredentials credentials() {
    try {
      AFUNIXSocketCredentials c = socket.getPeerCredentials();
      return new PeerCredentials(c.getUid(), c.getGid(), c.getPid());
    } catch (IOException e) {
      log.warn("cannot read a client's credentials: {}", e.toString());
      return new PeerCredentials(-1, -1, -1);
    }
  }

  private static NotificationSink sink(OutputStream out) {
    return new NotificationSink() {
      @Override
      public void send(String method, JsonNode params) throws IOException {
        write(out, JsonRpcProtocol.notification(method, params));
      }

      @Override
      public void keepAlive() throws IOException {
        write(out, new byte[0]);
      }
    };
  }

  private static void write(OutputStream out, byte[] line) throws IOException {
    byte[] framed = new byte[line.length + 1];
    System.arraycopy(line, 0, framed, 0, line.length);
    framed[line.length] = '\n';
    out.write(framed);
    out.flush();
  }
}

package dev.hearth.core.rpc;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The connection under {@link RpcClient}: the socket, its lines both ways, and what a reply means
 * (a result, or the server's error as the caller's exception). It knows nothing of request ids'
 * bookkeeping or streams; writes from several threads are serialised, reads happen on one thread at
 * a time (the client's callers take turns).
 */
final class RpcLine implements AutoCloseable {
  /** Where {@link #readReply} hands a notification (an object with a textual method). */
  interface NotificationHandler {
    void handle(Reply notification);
  }

  private interface ChannelOpener {
    SocketChannel open() throws IOException;
  }

  private final SocketChannel channel;
  private final RpcClient.Failures failures;
  private final LineReader in;
  private final Object writeLock = new Object();

  private RpcLine(SocketChannel channel, RpcClient.Failures failures) {
    this.channel = channel;
    this.failures = failures;
    this.in = new LineReader(Channels.newInputStream(channel), Wire.MAX_LINE_BYTES);
  }

  /**
   * Connects with the JDK's Unix socket; {@code passFiles} with junixsocket's ({@link #attach}).
   */
  static RpcLine connect(Path socket, boolean passFiles, RpcClient.Failures failures) {
    ChannelOpener opener =
        passFiles
            ? () -> PassedFiles.connect(socket)
            : () -> {
              SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
              try {
                channel.connect(UnixDomainSocketAddress.of(socket));
                return channel;
              } catch (IOException e) {
                closeQuietly(channel);
                throw e;
              }
            };
    try {
      return new RpcLine(opener.open(), failures);
    } catch (IOException e) {
      throw failures.cannotConnect(e);
    }
  }

  /**
   * Passes {@code files} (SCM_RIGHTS) with the next line written.
   *
   * @throws IllegalStateException when this line cannot pass files (not connected to pass them)
   */
  void attach(List<FileDescriptor> files) throws IOException {
    try {
      PassedFiles.attach(channel, files);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Writes {@code line} and its newline, whole, before any other thread's line. */
  void write(byte[] line) throws IOException {
    byte[] framed = new byte[line.length + 1];
    System.arraycopy(line, 0, framed, 0, line.length);
    framed[line.length] = '\n';
    ByteBuffer buffer = ByteBuffer.wrap(framed);
    synchronized (writeLock) {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
  }

  /**
   * The error the server answered with before it closed on a write that failed (it refused us, e.g.
   * busy, before reading); else the write's failure as {@link RpcClient.Failures#lost}.
   */
  Reply readAfterFailedWrite(IOException writeFailure) {
    try {
      Reply reply = readLine();
      if (reply != null && reply.hasError()) {
        return reply;
      }
    } catch (IOException | RuntimeException e) {
      writeFailure.addSuppressed(e);
    }
    throw failures.lost(writeFailure);
  }

  /** Reads up to the response to request {@code id}, handing notifications on the way. */
  Reply readReply(long id, NotificationHandler notifications) {
    while (true) {
      Reply reply;
      try {
        reply = readLine();
      } catch (IOException e) {
        throw failures.lost(e);
      }
      if (reply == null) {
        throw failures.closed();
      }
      if (reply.isIgnorable()) {
        continue; // a keepalive, or a line that is neither a response nor a notification
      }
      if (reply.isNotification()) {
        notifications.handle(reply);
        continue;
      }
      if (reply.answers(id)) {
        return reply;
      }
      throw failures.malformed("answered request " + id + " with a reply for " + reply.idText());
    }
  }

  /** The next line ({@link Reply#KEEPALIVE} for a blank one), or null at the end of the stream. */
  private Reply readLine() throws IOException {
    LineReader.Status status = in.next();
    switch (status) {
      case LINE:
        try {
          byte[] line = in.line();
          if (new String(line, StandardCharsets.UTF_8).isBlank()) {
            return Reply.KEEPALIVE;
          }
          return Reply.parse(line);
        } catch (JacksonException e) {
          throw failures.malformed("sent a reply that is not JSON: " + e.getOriginalMessage());
        }
      case TOO_LONG:
        throw failures.malformed("sent a reply longer than " + Wire.MAX_LINE_BYTES + " bytes");
      default:
        return null;
    }
  }

  /**
   * The reply when it has a result; else the server's error as {@link RpcClient.Failures#error}.
   */
  Reply successful(Reply reply, String method) {
    if (reply.hasError()) {
      JsonNode error = reply.error();
      throw failures.error(
          error.path("code").asInt(), error.path("message").asText("(no message)"));
    }
    if (!reply.hasResult()) {
      throw failures.malformed("answered " + method + " with neither a result nor an error");
    }
    return reply;
  }

  RpcClient.Failures failures() {
    return failures;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw failures.closeFailed(e);
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // It never connected; there is nothing to report.
    }
  }
}

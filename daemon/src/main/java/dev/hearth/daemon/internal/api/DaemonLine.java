package dev.hearth.daemon.internal.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.rpc.LineReader;
import dev.hearth.core.rpc.PassedFiles;
import dev.hearth.core.rpc.Reply;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.internal.rpc.ErrorKind;
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
 * The connection under {@link HearthClient}: the socket, its lines both ways, and what a reply
 * means (a result, or the daemon's error as a {@link HearthException} carrying the wire's code). It
 * knows nothing of request ids' bookkeeping or streams; writes from several threads are serialised,
 * reads happen on one thread at a time (the client's callers take turns).
 */
final class DaemonLine implements AutoCloseable {
  /** Where {@link #readReply} hands a notification (an object with a textual method). */
  interface NotificationHandler {
    void handle(Reply notification);
  }

  private final Path socket;
  private final SocketChannel channel;
  private final LineReader in;
  private final Object writeLock = new Object();

  private DaemonLine(Path socket, SocketChannel channel) {
    this.socket = socket;
    this.channel = channel;
    this.in = new LineReader(Channels.newInputStream(channel), Wire.MAX_LINE_BYTES);
  }

  /**
   * Connects to {@code socket} with the JDK's Unix socket.
   *
   * @throws DaemonUnavailableException when no daemon answers there
   */
  static DaemonLine connect(Path socket) {
    return connect(
        socket,
        () -> {
          SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
          try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return channel;
          } catch (IOException e) {
            closeQuietly(channel);
            throw e;
          }
        });
  }

  /**
   * Connects as {@link #connect} does, on junixsocket's channel, which can also pass open files
   * ({@link #attach}); only the commands that pass files load its native library (ARCHITECTURE.md,
   * Decisions, "Files from clients").
   */
  static DaemonLine connectPassingFiles(Path socket) {
    return connect(socket, () -> PassedFiles.connect(socket));
  }

  private interface ChannelOpener {
    SocketChannel open() throws IOException;
  }

  private static DaemonLine connect(Path socket, ChannelOpener opener) {
    try {
      return new DaemonLine(socket, opener.open());
    } catch (IOException e) {
      throw new DaemonUnavailableException(
          socket,
          "cannot connect to the hearth daemon at "
              + socket
              + " ("
              + e.getMessage()
              + "): is it running? Start it with `hearth daemon` or `systemctl start hearth`, or"
              + " point --socket at its socket",
          e);
    }
  }

  /**
   * Passes {@code files} (SCM_RIGHTS) with the next line written.
   *
   * @throws IllegalStateException when this line came from {@link #connect}, which cannot pass
   *     files
   */
  void attach(List<FileDescriptor> files) throws IOException {
    try {
      PassedFiles.attach(channel, files);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  Path socket() {
    return socket;
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
   * The error the daemon answered with before it closed on a write that failed (it refused us, e.g.
   * busy, before reading); else the write's failure as {@link DaemonUnavailableException}.
   */
  Reply readAfterFailedWrite(IOException writeFailure) {
    try {
      Reply reply = readLine();
      if (reply != null && reply.hasError()) {
        return reply;
      }
    } catch (IOException | HearthException e) {
      writeFailure.addSuppressed(e);
    }
    throw unavailable(writeFailure);
  }

  /** Reads up to the response to request {@code id}, handing notifications on the way. */
  Reply readReply(long id, NotificationHandler notifications) {
    while (true) {
      Reply reply;
      try {
        reply = readLine();
      } catch (IOException e) {
        throw unavailable(e);
      }
      if (reply == null) {
        throw new DaemonUnavailableException(
            socket, "the hearth daemon at " + socket + " closed the connection", null);
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
      throw malformed("answered request " + id + " with a reply for " + reply.idText());
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
          throw malformed("sent a reply that is not JSON: " + e.getOriginalMessage());
        }
      case TOO_LONG:
        throw malformed("sent a reply longer than " + Wire.MAX_LINE_BYTES + " bytes");
      default:
        return null;
    }
  }

  /**
   * The reply when it has a result; else the daemon's error as a {@link HearthException}: the kind
   * by its code (the reverse of {@link ErrorKind#of}; a code the API has no kind for, such as a
   * protocol error's, is {@code protocol}), the message as the daemon wrote it, and the code.
   */
  Reply successful(Reply reply, String method) {
    if (reply.hasError()) {
      JsonNode error = reply.error();
      int code = error.path("code").asInt();
      throw new HearthException(
          ErrorKind.kindOf(code).orElse(HearthException.Kind.PROTOCOL),
          error.path("message").asText("(no message)"),
          code);
    }
    if (!reply.hasResult()) {
      throw malformed("answered " + method + " with neither a result nor an error");
    }
    return reply;
  }

  /** The daemon broke the protocol: kind {@code protocol}, naming the socket and what it did. */
  HearthException malformed(String what) {
    return new HearthException(
        HearthException.Kind.PROTOCOL, "the hearth daemon at " + socket + " " + what);
  }

  DaemonUnavailableException unavailable(IOException e) {
    return new DaemonUnavailableException(
        socket, "lost the connection to the hearth daemon at " + socket + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new DaemonException("closing the connection to " + socket + " failed: " + e, e);
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // It never connected; there is nothing to report.
    }
  }
}

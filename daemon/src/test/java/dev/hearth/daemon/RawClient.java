package dev.hearth.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A bare JDK Unix-socket client that sends and reads raw lines, to test the wire itself. Every read
 * and write has a deadline ({@link Await#DEFAULT}): a daemon that does not answer fails the test,
 * naming what it waited for, instead of blocking it.
 */
final class RawClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEADLINE = Await.DEFAULT;

  private final SocketChannel channel;
  private final Selector selector;
  private final ByteBuffer buffer = ByteBuffer.allocate(8192).flip();

  private RawClient(SocketChannel channel) throws IOException {
    this.channel = channel;
    channel.configureBlocking(false);
    this.selector = Selector.open();
  }

  static RawClient connect(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
      return new RawClient(channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  void send(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (b.hasRemaining()) {
      if (channel.write(b) == 0) {
        await(SelectionKey.OP_WRITE, deadline, "the daemon to take " + b.remaining() + " bytes");
      }
    }
  }

  void sendLine(String line) throws IOException {
    send((line + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Stops sending; the daemon sees the end of the stream. */
  void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  /** The next line without its newline, or null when the daemon closed the connection. */
  String readLine() throws IOException {
    try {
      return readLine(DEADLINE);
    } catch (TimedOut e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** No line came within the time a read was given (the connection stays usable). */
  static final class TimedOut extends IOException {
    private static final long serialVersionUID = 1L;

    TimedOut(String message) {
      super(message);
    }
  }

  /**
   * The next line without its newline, or null when the daemon closed the connection.
   *
   * @throws TimedOut when no whole line came within {@code within}
   */
  String readLine(Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      if (!buffer.hasRemaining()) {
        buffer.clear();
        int n = channel.read(buffer);
        buffer.flip();
        if (n < 0) {
          return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
        }
        if (n == 0) {
          if (!await(SelectionKey.OP_READ, deadline)) {
            throw new TimedOut(
                "timed out after "
                    + within.toSeconds()
                    + " s waiting for a line from the daemon (read so far: '"
                    + line.toString(StandardCharsets.UTF_8)
                    + "')");
          }
          continue;
        }
      }
      byte b = buffer.get();
      if (b == '\n') {
        return line.toString(StandardCharsets.UTF_8);
      }
      line.write(b);
    }
  }

  /** The next line as JSON. */
  JsonNode readJson() throws IOException {
    String line = readLine();
    if (line == null) {
      throw new IOException("the daemon closed the connection instead of replying");
    }
    return JSON.readTree(line);
  }

  /** Sends a line and reads the reply as JSON. */
  JsonNode exchange(String line) throws IOException {
    sendLine(line);
    return readJson();
  }

  /** Waits until the channel is ready for {@code op}; fails at {@code deadline}. */
  private void await(int op, long deadline, String what) throws IOException {
    if (!await(op, deadline)) {
      throw new AssertionError(
          "timed out after " + DEADLINE.toSeconds() + " s waiting for " + what);
    }
  }

  /** Waits until the channel is ready for {@code op}; false once {@code deadline} has passed. */
  private boolean await(int op, long deadline) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return false;
    }
    SelectionKey key = channel.register(selector, op);
    try {
      selector.select(Math.max(1, left / 1_000_000));
    } finally {
      key.interestOps(0);
      selector.selectedKeys().clear();
    }
    return true;
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }
}

package dev.hearth.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A bare JDK Unix-socket client that sends and reads raw lines, to test the wire itself. */
final class RawClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SocketChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(8192).flip();

  private RawClient(SocketChannel channel) {
    this.channel = channel;
  }

  static RawClient connect(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    return new RawClient(channel);
  }

  void send(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      channel.write(b);
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
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      if (!buffer.hasRemaining()) {
        buffer.clear();
        int n = channel.read(buffer);
        buffer.flip();
        if (n < 0) {
          return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
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

  @Override
  public void close() throws IOException {
    channel.close();
  }
}

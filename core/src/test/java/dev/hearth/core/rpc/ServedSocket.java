package dev.hearth.core.rpc;

import dev.hearth.core.Clock;
import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;

/**
 * An {@link RpcServer} a test bound, with its accept loop running, and the clients the test opened
 * on it. {@link #close} closes the clients (which also ends a read still blocked after a failed
 * wait), then the server, and waits for the accept loop to end.
 */
final class ServedSocket implements AutoCloseable {
  final Path path;
  final RpcServer server;
  private final Future<Void> acceptLoop;
  private final Queue<SocketChannel> clients = new ConcurrentLinkedQueue<>();

  private ServedSocket(Path path, RpcServer server) {
    this.path = path;
    this.server = server;
    this.acceptLoop =
        Await.async(
            "accept loop",
            () -> {
              server.acceptLoop();
              return null;
            });
  }

  /** Serves everyone at {@code path} with the given credentials reader. */
  static ServedSocket start(
      Path path,
      RequestHandler handler,
      RpcServer.Limits limits,
      RpcServer.CredentialsReader credentials)
      throws IOException {
    return new ServedSocket(
        path,
        RpcServer.bind(
            path,
            new JsonRpcProtocol(handler),
            peer -> Optional.empty(),
            limits,
            Clock.system(),
            credentials));
  }

  /** A new client channel, not yet connected, closed with the server. */
  SocketChannel open() throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    clients.add(channel);
    return channel;
  }

  /** A new client connection, closed with the server. */
  SocketChannel connect() throws IOException {
    SocketChannel channel = open();
    channel.connect(UnixDomainSocketAddress.of(path));
    return channel;
  }

  @Override
  public void close() throws Exception {
    for (SocketChannel c : clients) {
      c.close();
    }
    server.close();
    Await.result(acceptLoop, "the accept loop to end");
  }
}

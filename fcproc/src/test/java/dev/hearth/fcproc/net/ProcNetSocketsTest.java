package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.fcproc.net.HostSockets.BoundSocket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real socket listing on this machine's /proc. */
class ProcNetSocketsTest {
  @Test
  void seesOurOwnUdpSocketAndKnowsItIsOurs() throws Exception {
    HostSockets probe = HostSockets.procfs();
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      int port = socket.getLocalPort();

      List<BoundSocket> ours =
          probe.boundSockets().stream()
              .filter(s -> s.port() == port && s.protocol().startsWith("udp"))
              .filter(s -> s.address().equals(loopback))
              .toList();

      assertThat(ours).hasSize(1);
      assertThat(probe.ownSocketInodes()).contains(ours.get(0).inode());
    }
  }
}

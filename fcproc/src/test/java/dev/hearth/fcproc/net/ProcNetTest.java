package dev.hearth.fcproc.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.fcproc.net.HostSockets.BoundSocket;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcNetTest {
  private static final String UDP_HEADER =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
          + " inode ref pointer drops             \n";

  @Test
  void parsesUnconnectedUdpSocketsWithLittleEndianAddresses() throws Exception {
    String table =
        UDP_HEADER
            + "  291: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   102"
            + "        0 19287 2 ffff8a7b4d1e0000 0          \n"
            + "  306: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0"
            + "        0 21345 2 ffff8a7b4d1e4400 0\n"
            // A connected socket is nobody's listener.
            + "  310: 0200000A:A1B2 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000"
            + "        0 22222 2 ffff8a7b4d1e4800 0\n";

    List<BoundSocket> sockets = ProcNet.parse("udp", table);

    assertThat(sockets)
        .containsExactly(
            new BoundSocket("udp", InetAddress.getByName("127.0.0.53"), 53, 102, 19287),
            new BoundSocket("udp", InetAddress.getByName("0.0.0.0"), 68, 0, 21345));
  }

  @Test
  void keepsOnlyListeningTcpSockets() throws Exception {
    // Lines as this host printed them, plus an established connection.
    String table =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
            + " inode                                                     \n"
            + "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
            + "        0 1610 1 000000006cce4ac5 100 0 0 10 0                      \n"
            + "   1: 0200000A:0016 0100000A:D431 01 00000000:00000000 02:0009E2F5 00000000     0"
            + "        0 30001 4 0000000000000000 20 4 29 10 -1\n";

    assertThat(ProcNet.parse("tcp", table))
        .containsExactly(new BoundSocket("tcp", InetAddress.getByName("0.0.0.0"), 2024, 0, 1610));
  }

  @Test
  void decodesIpv6WordByWord() throws Exception {
    String table =
        "  sl  local_address                         remote_address                        st"
            + " tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
            + " 1234: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000"
            + " 07 00000000:00000000 00:00000000 00000000     0        0 40001 2 0000000000000000"
            + " 0\n"
            + " 1235: 0000000000000000FFFF000001004D0A:0035 00000000000000000000000000000000:0000"
            + " 07 00000000:00000000 00:00000000 00000000     0        0 40002 2 0000000000000000"
            + " 0\n"
            + " 1236: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000"
            + " 07 00000000:00000000 00:00000000 00000000     0        0 40003 2 0000000000000000"
            + " 0\n";

    assertThat(ProcNet.parse("udp6", table))
        .extracting(s -> s.address().getHostAddress() + " " + s.port())
        .containsExactly("0:0:0:0:0:0:0:0 53", "10.77.0.1 53", "0:0:0:0:0:0:0:1 8080");
  }

  @Test
  void anEmptyTableHasNoSockets() {
    assertThat(ProcNet.parse("udp", UDP_HEADER)).isEmpty();
  }

  @Test
  void aGarbledLineIsReportedWithTheLine() {
    assertThatThrownBy(() -> ProcNet.parse("udp", UDP_HEADER + "  1: XYZ:0035 00000000:0000 07\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/proc/net/udp")
        .hasMessageContaining("XYZ:0035");
    assertThatThrownBy(
            () ->
                ProcNet.parse(
                    "udp",
                    UDP_HEADER
                        + "  1: 3500007:0035 00000000:0000 07 00000000:00000000 00:00000000"
                        + " 00000000 0 0 1 2 0 0\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'3500007' is not a hex IPv4 or IPv6 address");
  }
}

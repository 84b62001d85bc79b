package dev.hearth.fcproc.net;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Ethernet frames a guest sends in {@link TapGuardsHostTest}, each carrying a random marker that
 * the sniffer on the other side looks for.
 */
final class TestFrames {
  private static final String BROADCAST = "ff:ff:ff:ff:ff:ff";
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestFrames() {}

  /**
   * Sends {@code frame} from eth0 in {@code fromNs} with {@code frames.py}: "seen" or "unseen" on
   * {@code sniffIf} in {@code sniffNs}.
   */
  static String send(
      Runner runner, Path script, String fromNs, String sniffNs, String sniffIf, Frame frame)
      throws InterruptedException {
    CommandResult result =
        runner.check(
            Command.builder("python3")
                .args(
                    script.toString(),
                    sniffNs,
                    sniffIf,
                    fromNs,
                    "eth0",
                    HexFormat.of().formatHex(frame.bytes()),
                    HexFormat.of().formatHex(frame.marker()),
                    "1")
                .timeout(Duration.ofSeconds(30))
                .build());
    return result.stdout().strip();
  }

  record Frame(byte[] bytes, byte[] marker) {}

  static byte[] marker() {
    byte[] marker = new byte[12];
    RANDOM.nextBytes(marker);
    return marker;
  }

  /** A broadcast IPv4/UDP frame to the discard port whose payload is the marker. */
  static Frame ipv4(String srcMac, Ipv4 src, Ipv4 dst) {
    byte[] marker = marker();
    ByteBuffer ip = ByteBuffer.allocate(20 + 8 + marker.length);
    ip.put((byte) 0x45).put((byte) 0).putShort((short) ip.capacity());
    ip.putShort((short) 1).putShort((short) 0).put((byte) 64).put((byte) 17).putShort((short) 0);
    ip.putInt(src.bits()).putInt(dst.bits());
    ip.putShort(10, checksum(ip.array(), 20));
    ip.putShort((short) 40000).putShort((short) 9).putShort((short) (8 + marker.length));
    ip.putShort((short) 0).put(marker);
    return new Frame(ethernet(srcMac, 0x0800, ip.array()), marker);
  }

  /** An ARP reply (broadcast) saying that {@code senderIp} is at {@code senderMac}. */
  static Frame arpReply(String srcMac, String senderMac, Ipv4 senderIp) {
    byte[] marker = marker();
    ByteBuffer arp = ByteBuffer.allocate(28 + marker.length);
    arp.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4);
    arp.putShort((short) 2).put(mac(senderMac)).putInt(senderIp.bits());
    arp.put(mac(BROADCAST)).putInt(senderIp.bits());
    arp.put(marker); // trailing padding, carried as is by the bridge
    return new Frame(ethernet(srcMac, 0x0806, arp.array()), marker);
  }

  /** A link-local IPv6/UDP frame to all nodes carrying the marker. */
  static Frame ipv6(String srcMac) {
    byte[] marker = marker();
    ByteBuffer ip = ByteBuffer.allocate(40 + 8 + marker.length);
    ip.putInt(0x60000000).putShort((short) (8 + marker.length)).put((byte) 17).put((byte) 255);
    ip.putLong(0xfe80000000000000L).putLong(0x0400ffffe0000001L);
    ip.putLong(0xff02000000000000L).putLong(1L);
    ip.putShort((short) 40000).putShort((short) 9).putShort((short) (8 + marker.length));
    ip.putShort((short) 0).put(marker);
    return new Frame(ethernet(srcMac, 0x86dd, ip.array()), marker);
  }

  private static byte[] ethernet(String srcMac, int etherType, byte[] payload) {
    ByteBuffer frame = ByteBuffer.allocate(Math.max(60, 14 + payload.length));
    frame.put(mac(BROADCAST)).put(mac(srcMac)).putShort((short) etherType).put(payload);
    return frame.array();
  }

  private static byte[] mac(String mac) {
    return HexFormat.ofDelimiter(":").parseHex(mac);
  }

  private static short checksum(byte[] bytes, int length) {
    int sum = 0;
    for (int i = 0; i < length; i += 2) {
      sum += ((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff);
    }
    while ((sum >> 16) != 0) {
      sum = (sum & 0xffff) + (sum >> 16);
    }
    return (short) ~sum;
  }
}

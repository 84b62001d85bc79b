package dev.hearth.fcproc.net;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;

/**
 * The host's bound sockets, for the doctor's DNS port check. {@link #procfs()} reads {@code /proc};
 * tests pass a fake.
 */
public interface HostSockets {

  /**
   * A socket bound on the host: an unconnected {@code udp}/{@code udp6} socket or a listening
   * {@code tcp}/{@code tcp6} one.
   */
  record BoundSocket(String protocol, InetAddress address, int port, int uid, long inode) {
    public String display() {
      String host = address.getHostAddress();
      return protocol + " " + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** Every bound UDP socket and listening TCP socket, IPv4 and IPv6. */
  List<BoundSocket> boundSockets() throws IOException;

  /** Socket inodes held open by this process, so that our own listeners are not reported. */
  Set<Long> ownSocketInodes() throws IOException;

  /** The real one: {@code /proc/net/{udp,udp6,tcp,tcp6}} and {@code /proc/self/fd}. */
  static HostSockets procfs() {
    return new ProcNetSockets();
  }
}

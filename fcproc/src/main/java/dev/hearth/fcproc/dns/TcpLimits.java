package dev.hearth.fcproc.dns;

import java.time.Duration;

/**
 * How long, and how many at once, TCP clients of the VM DNS may hold its connection slots
 * (ARCHITECTURE.md, "VM DNS"). A client that trickles bytes, that reads no answers or that opens
 * many connections holds a slot no longer than these say, and one address never holds them all.
 *
 * @param question the longest from a question's first byte (of its 2-byte length) to its last
 * @param idle the longest wait for a question's first byte, from the connection's start or from the
 *     last answer
 * @param lifetime the longest a connection is kept, wherever it is (a write blocked on a client
 *     that reads no answers included)
 * @param perSource the most connections at once from one source address
 */
record TcpLimits(Duration question, Duration idle, Duration lifetime, int perSource) {

  /**
   * Bounds an honest resolver does not meet: it sends a question in one go, and asks over TCP only
   * for an answer that was cut, one question or a few per connection (RFC 7766 expects idle
   * timeouts of seconds and clients to ask again on a connection that the server closed).
   */
  static final TcpLimits DEFAULT =
      new TcpLimits(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(60), 4);

  TcpLimits {
    for (Duration d : new Duration[] {question, idle, lifetime}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("a TCP limit of the VM DNS must be positive: " + d);
      }
    }
    if (perSource < 1) {
      throw new IllegalArgumentException(
          "the VM DNS must allow a source at least one TCP connection: " + perSource);
    }
  }
}

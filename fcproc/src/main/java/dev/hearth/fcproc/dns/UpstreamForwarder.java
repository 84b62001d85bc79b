package dev.hearth.fcproc.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * Forwards a question to the upstream resolvers in order, over UDP from a fresh port with a random
 * ID (and over TCP when a TCP client's answer came back truncated). Each upstream gets an equal
 * share of what is left of the total budget, so that all of them failing takes at most the budget:
 * the guest gets SERVFAIL quickly rather than waiting out its own resolver's timeouts. An answer
 * must come from the upstream asked and match the ID and the question; anything else is ignored.
 */
final class UpstreamForwarder implements Forwarder {
  private static final Logger log = LoggerFactory.getLogger(UpstreamForwarder.class);

  /** The default total budget: SERVFAIL within about a second when every upstream fails. */
  static final Duration BUDGET = Duration.ofSeconds(1);

  private static final int MAX_MESSAGE = 65535;

  private final List<InetSocketAddress> upstreams;
  private final Duration budget;
  private final SecureRandom random = new SecureRandom();

  UpstreamForwarder(List<InetSocketAddress> upstreams, Duration budget) {
    this.upstreams = List.copyOf(upstreams);
    this.budget = budget;
  }

  @Override
  public Optional<Message> forward(Message query, boolean tcp) throws InterruptedException {
    long deadline = System.nanoTime() + budget.toNanos();
    Optional<Message> failure = Optional.empty();
    for (int i = 0; i < upstreams.size(); i++) {
      if (Thread.interrupted()) {
        throw new InterruptedException("forwarding a DNS question was interrupted");
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      InetSocketAddress upstream = upstreams.get(i);
      long share = left / (upstreams.size() - i);
      Optional<Message> answer = ask(upstream, query, tcp, System.nanoTime() + share);
      if (answer.isEmpty()) {
        continue;
      }
      int rcode = answer.get().getRcode();
      if (rcode == Rcode.SERVFAIL || rcode == Rcode.REFUSED) {
        // Another upstream may know better; this answer stands if none does.
        failure = answer;
        continue;
      }
      return answer;
    }
    return failure;
  }

  private Optional<Message> ask(
      InetSocketAddress upstream, Message query, boolean tcp, long deadline) {
    Message outgoing = query.clone();
    int id = random.nextInt(0x10000);
    outgoing.getHeader().setID(id);
    try {
      Optional<Message> answer = overUdp(upstream, outgoing, deadline);
      if (answer.isPresent() && tcp && answer.get().getHeader().getFlag(Flags.TC)) {
        answer = wholeOrTruncated(upstream, outgoing, deadline, answer.get());
      }
      answer.ifPresent(a -> a.getHeader().setID(query.getHeader().getID()));
      return answer;
    } catch (IOException e) {
      log.debug("DNS upstream {} did not answer: {}", upstream, e.toString());
      return Optional.empty();
    }
  }

  /** The answer over TCP, or the truncated one when TCP fails: the client then has some. */
  private Optional<Message> wholeOrTruncated(
      InetSocketAddress upstream, Message outgoing, long deadline, Message truncated) {
    try {
      return Optional.of(overTcp(upstream, outgoing, deadline).orElse(truncated));
    } catch (IOException e) {
      log.debug("DNS upstream {} did not answer over TCP: {}", upstream, e.toString());
      return Optional.of(truncated);
    }
  }

  private Optional<Message> overUdp(InetSocketAddress upstream, Message outgoing, long deadline)
      throws IOException {
    byte[] wire = outgoing.toWire();
    try (DatagramSocket socket = new DatagramSocket()) {
      // Connected: the kernel drops datagrams from any other address and port.
      socket.connect(upstream);
      socket.send(new DatagramPacket(wire, wire.length));
      byte[] buffer = new byte[MAX_MESSAGE];
      while (true) {
        int wait = millisLeft(deadline);
        if (wait <= 0) {
          return Optional.empty();
        }
        socket.setSoTimeout(wait);
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException e) {
          return Optional.empty();
        }
        Optional<Message> answer = matching(outgoing, buffer, packet.getLength());
        if (answer.isPresent()) {
          return answer;
        }
      }
    }
  }

  private Optional<Message> overTcp(InetSocketAddress upstream, Message outgoing, long deadline)
      throws IOException {
    byte[] wire = outgoing.toWire();
    try (Socket socket = new Socket()) {
      int wait = millisLeft(deadline);
      if (wait <= 0) {
        return Optional.empty();
      }
      socket.connect(upstream, wait);
      socket.setSoTimeout(Math.max(1, millisLeft(deadline)));
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeShort(wire.length);
      out.write(wire);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      int length = in.readUnsignedShort();
      byte[] buffer = new byte[length];
      in.readFully(buffer);
      return matching(outgoing, buffer, length);
    } catch (SocketTimeoutException e) {
      return Optional.empty();
    }
  }

  /**
   * The reply in {@code buffer} if it answers {@code outgoing}: same ID, a reply, same question.
   */
  private static Optional<Message> matching(Message outgoing, byte[] buffer, int length) {
    Message reply;
    try {
      reply = new Message(Arrays.copyOf(buffer, length));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    boolean matches =
        reply.getHeader().getID() == outgoing.getHeader().getID()
            && reply.getHeader().getFlag(Flags.QR)
            && outgoing.getQuestion().equals(reply.getQuestion());
    return matches ? Optional.of(reply) : Optional.empty();
  }

  private static int millisLeft(long deadline) {
    long left = deadline - System.nanoTime();
    return left <= 0 ? 0 : (int) Math.max(1, left / 1_000_000);
  }
}

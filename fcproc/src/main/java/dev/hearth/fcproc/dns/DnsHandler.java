package dev.hearth.fcproc.dns;

import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.Ipv4;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * One DNS message in, at most one out: parses the query without trusting it, answers the VM names
 * itself ({@link LocalZone}) and forwards the rest ({@link Forwarder}), asking the {@link
 * EgressGate} before a guest's question goes upstream and telling it the upstream's addresses
 * before the guest gets them. Never throws on bad input: a message that does not parse gets FORMERR
 * (or nothing, when not even its header is there), and one that is itself a reply is dropped, so
 * that two resolvers cannot bounce replies between them.
 */
final class DnsHandler {
  private static final Logger log = LoggerFactory.getLogger(DnsHandler.class);

  private static final int HEADER_LENGTH = 12;

  /** What a UDP reply may use without EDNS, and the most it may use with. */
  private static final int UDP_PLAIN = 512;

  private static final int UDP_MAX = 4096;

  private final LocalZone zone;
  private final Forwarder forwarder;
  private final EgressGate gate;
  private final Semaphore forwards;
  private final SourceSlots sourceForwards;

  /**
   * @param maxForwards how many questions may be upstream at once; one more gets SERVFAIL
   * @param forwardsPerSource how many of them may be one source address's; one more of its
   *     questions gets SERVFAIL, so that a client whose questions the upstream is slow to answer
   *     (or never answers) leaves the others room
   */
  DnsHandler(
      LocalZone zone,
      Forwarder forwarder,
      EgressGate gate,
      int maxForwards,
      int forwardsPerSource) {
    this.zone = zone;
    this.forwarder = forwarder;
    this.gate = gate;
    this.forwards = new Semaphore(maxForwards);
    this.sourceForwards = new SourceSlots("upstream question", forwardsPerSource);
  }

  /**
   * The reply's wire form, or empty when nothing is to be sent.
   *
   * @param source the address that asked, whose share of the questions upstream this one takes
   * @param guest the guest that asked, when the question is to be held to its egress policy
   * @param tcp whether the question came over TCP (replies are not cut to a UDP size then)
   */
  Optional<byte[]> handle(byte[] wire, InetAddress source, Optional<Ipv4> guest, boolean tcp)
      throws InterruptedException {
    return reply(wire, tcp, query -> answer(query, source, guest, tcp));
  }

  /**
   * REFUSED, as {@link #handle} would frame it, for an asker this resolver does not serve (neither
   * a guest nor the host on the guests' listener): no forward, no name looked up, and a reply no
   * larger than the question, so the resolver is nobody's amplifier.
   */
  Optional<byte[]> refuse(byte[] wire, boolean tcp) throws InterruptedException {
    return reply(wire, tcp, query -> error(query, Rcode.REFUSED));
  }

  /** How a parsed query is answered. */
  private interface Answer {
    Message to(Message query) throws InterruptedException;
  }

  /**
   * The framing both share: nothing for a message too short or with QR set (never answer a reply),
   * FORMERR for one that does not parse, else the answer cut to the client's UDP size.
   */
  private static Optional<byte[]> reply(byte[] wire, boolean tcp, Answer answer)
      throws InterruptedException {
    if (wire.length < HEADER_LENGTH || (wire[2] & 0x80) != 0) {
      return Optional.empty();
    }
    Message query;
    try {
      query = new Message(wire);
    } catch (IOException | RuntimeException e) {
      return Optional.of(formErr(wire));
    }
    return Optional.of(toWire(query, answer.to(query), tcp));
  }

  private static byte[] toWire(Message query, Message reply, boolean tcp) {
    return tcp ? reply.toWire() : reply.toWire(udpSize(query));
  }

  /** The reply to a parsed query (tests call this directly: Message in, Message out). */
  Message answer(Message query, InetAddress source, Optional<Ipv4> guest, boolean tcp)
      throws InterruptedException {
    if (query.getHeader().getOpcode() != Opcode.QUERY) {
      return error(query, Rcode.NOTIMP);
    }
    if (query.getSection(Section.QUESTION).size() != 1) {
      return error(query, Rcode.FORMERR);
    }
    Optional<Message> local = zone.answer(query);
    if (local.isPresent()) {
      return local.get();
    }
    String name = nameOf(query.getQuestion());
    if (isPlainName(query.getQuestion())) {
      // glibc asks a bare name as it is once the search list failed (e.g. AAAA of a VM name):
      // it means nothing upstream, and is no egress attempt to count against the guest.
      return error(query, Rcode.NXDOMAIN);
    }
    try {
      if (guest.isPresent() && !gate.mayResolve(guest.get(), name)) {
        log.debug("refused {} for guest {} (egress policy)", name, guest.get());
        return refused(query, name);
      }
    } catch (RuntimeException e) {
      log.warn("the egress gate failed on {} for guest {}", name, guest.get(), e);
      return error(query, Rcode.SERVFAIL);
    }
    Optional<Message> upstream = forward(query, source, name, tcp);
    if (upstream.isEmpty()) {
      return error(query, Rcode.SERVFAIL);
    }
    if (guest.isPresent()) {
      try {
        tellGate(guest.get(), name, upstream.get());
      } catch (RuntimeException e) {
        // The guest must not get an address its egress set may lack.
        log.warn("the egress gate failed to take {} for guest {}", name, guest.get(), e);
        return error(query, Rcode.SERVFAIL);
      }
    }
    return upstream.get();
  }

  /**
   * The upstream's answer, or empty (SERVFAIL) when none came or when the source's share or the
   * server's limit of questions upstream is taken. The share is taken first, so that a source over
   * its share never holds one of the server's slots, not even for a moment.
   */
  private Optional<Message> forward(Message query, InetAddress source, String name, boolean tcp)
      throws InterruptedException {
    if (!sourceForwards.tryTake(source)) {
      log.debug("too many DNS questions upstream from {}: SERVFAIL for {}", source, name);
      return Optional.empty();
    }
    try {
      if (!forwards.tryAcquire()) {
        log.debug("too many DNS questions upstream: SERVFAIL for {}", name);
        return Optional.empty();
      }
      try {
        return forwarder.forward(query, tcp);
      } finally {
        forwards.release();
      }
    } finally {
      sourceForwards.release(source);
    }
  }

  private void tellGate(Ipv4 guest, String name, Message answer) {
    List<Ipv4> addresses = new ArrayList<>();
    long ttl = Long.MAX_VALUE;
    for (Record r : answer.getSection(Section.ANSWER)) {
      if (r instanceof ARecord a && a.getAddress() instanceof Inet4Address v4) {
        byte[] b = v4.getAddress();
        addresses.add(Ipv4.of(b[0] & 0xff, b[1] & 0xff, b[2] & 0xff, b[3] & 0xff));
        ttl = Math.min(ttl, a.getTTL());
      }
    }
    gate.resolved(guest, name, addresses, Duration.ofSeconds(addresses.isEmpty() ? 0 : ttl));
  }

  /** An A or AAAA question for a name of one label (no dot), which is never forwarded. */
  private static boolean isPlainName(Record question) {
    int type = question.getType();
    return question.getName().labels() == 2 && (type == Type.A || type == Type.AAAA);
  }

  /** The question's name in lower case without the trailing dot, as the gate wants it. */
  static String nameOf(Record question) {
    String name = question.getName().toString(true).toLowerCase(Locale.ROOT);
    return name.isEmpty() ? "." : name;
  }

  /** A non-authoritative reply to {@code query} with only its question and {@code rcode}. */
  static Message error(Message query, int rcode) {
    Message reply = LocalZone.reply(query, rcode);
    reply.getHeader().unsetFlag(Flags.AA);
    return reply;
  }

  /**
   * REFUSED for a name the guest's egress policy does not allow; to a query with EDNS, with the
   * reason as an Extended DNS Error (RFC 8914, code 18, Prohibited), which dig and other tools
   * print, so that an agent reading their output learns why.
   */
  static Message refused(Message query, String name) {
    Message reply = error(query, Rcode.REFUSED);
    if (query.getOPT() != null) {
      reply.addRecord(
          new OPTRecord(
              UDP_MAX,
              0,
              0,
              0,
              new ExtendedErrorCodeOption(
                  ExtendedErrorCodeOption.PROHIBITED,
                  "hearth: the VM's egress policy does not allow "
                      + name
                      + " (see hearth vm egress)")),
          Section.ADDITIONAL);
    }
    return reply;
  }

  /** FORMERR for a message that does not parse: its ID and opcode, and nothing else. */
  private static byte[] formErr(byte[] wire) {
    byte[] reply = new byte[HEADER_LENGTH];
    reply[0] = wire[0];
    reply[1] = wire[1];
    reply[2] = (byte) (0x80 | (wire[2] & 0x78)); // QR and the opcode
    reply[3] = (byte) Rcode.FORMERR;
    return reply;
  }

  private static int udpSize(Message query) {
    OPTRecord opt = query.getOPT();
    if (opt == null) {
      return UDP_PLAIN;
    }
    return Math.max(UDP_PLAIN, Math.min(UDP_MAX, opt.getPayloadSize()));
  }
}

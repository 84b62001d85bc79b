package dev.hearth.fcproc.dns;

import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * What the VM DNS answers itself: {@code <vm>.<domain>} (A from {@link DnsRecords}; other types
 * NOERROR without an answer), NXDOMAIN for other names under the domain, and PTR for the addresses
 * of the bridge's prefix. Anything else is not ours ({@link #answer} is empty) and goes upstream.
 */
final class LocalZone {
  /** Short, so that a deleted or re-created VM is not remembered for long by a guest's cache. */
  static final long TTL = 5;

  private static final Name IN_ADDR_ARPA = Name.fromConstantString("in-addr.arpa.");

  private final Name domain;
  private final Ipv4Cidr bridge;
  private final DnsRecords records;
  private final SOARecord soa;

  LocalZone(String domain, Ipv4Cidr bridge, DnsRecords records) {
    try {
      this.domain = Name.fromString(domain, Name.root);
      this.soa =
          new SOARecord(
              this.domain,
              DClass.IN,
              TTL,
              Name.fromString("ns", this.domain),
              Name.fromString("hostmaster", this.domain),
              1,
              3600,
              600,
              86400,
              TTL);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("'" + domain + "' is not a DNS domain", e);
    }
    this.bridge = bridge;
    this.records = records;
  }

  /** The answer to a one-question query when the name is ours, else empty (forward it). */
  Optional<Message> answer(Message query) {
    Record question = query.getQuestion();
    if (question == null || question.getDClass() != DClass.IN) {
      return Optional.empty();
    }
    Name name = question.getName();
    if (name.subdomain(domain)) {
      return Optional.of(domainAnswer(query, question, name));
    }
    return reverse(name).map(ip -> reverseAnswer(query, question, ip));
  }

  private Message domainAnswer(Message query, Record question, Name name) {
    int depth = name.labels() - domain.labels();
    if (depth == 0) {
      Message reply = reply(query, Rcode.NOERROR);
      reply.addRecord(soa, question.getType() == Type.SOA ? Section.ANSWER : Section.AUTHORITY);
      return reply;
    }
    Optional<Ipv4> address =
        depth == 1 ? records.address(name.getLabelString(0)) : Optional.empty();
    if (address.isEmpty()) {
      Message reply = reply(query, Rcode.NXDOMAIN);
      reply.addRecord(soa, Section.AUTHORITY);
      return reply;
    }
    Message reply = reply(query, Rcode.NOERROR);
    if (question.getType() == Type.A || question.getType() == Type.ANY) {
      reply.addRecord(new ARecord(name, DClass.IN, TTL, inet(address.get())), Section.ANSWER);
    } else {
      reply.addRecord(soa, Section.AUTHORITY);
    }
    return reply;
  }

  private Message reverseAnswer(Message query, Record question, Ipv4 ip) {
    Optional<String> vm = records.name(ip);
    if (vm.isEmpty()) {
      return reply(query, Rcode.NXDOMAIN);
    }
    Message reply = reply(query, Rcode.NOERROR);
    if (question.getType() == Type.PTR || question.getType() == Type.ANY) {
      try {
        reply.addRecord(
            new PTRRecord(question.getName(), DClass.IN, TTL, Name.fromString(vm.get(), domain)),
            Section.ANSWER);
      } catch (TextParseException e) {
        // VM names are valid DNS labels (Names.requireValid); one that is not gets no PTR.
        return reply(query, Rcode.NXDOMAIN);
      }
    }
    return reply;
  }

  /** The address of a four-label {@code d.c.b.a.in-addr.arpa.} name inside the bridge prefix. */
  private Optional<Ipv4> reverse(Name name) {
    if (!name.subdomain(IN_ADDR_ARPA) || name.labels() != IN_ADDR_ARPA.labels() + 4) {
      return Optional.empty();
    }
    int bits = 0;
    for (int i = 3; i >= 0; i--) {
      String label = name.getLabelString(i);
      if (!label.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(label) > 255) {
        return Optional.empty();
      }
      bits = (bits << 8) | Integer.parseInt(label);
    }
    Ipv4 ip = new Ipv4(bits);
    return bridge.contains(ip) ? Optional.of(ip) : Optional.empty();
  }

  /** An authoritative reply to {@code query} with its question and {@code rcode}. */
  static Message reply(Message query, int rcode) {
    Message reply = new Message(query.getHeader().getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setFlag(Flags.AA);
    reply.getHeader().setFlag(Flags.RA);
    if (query.getHeader().getFlag(Flags.RD)) {
      reply.getHeader().setFlag(Flags.RD);
    }
    reply.getHeader().setRcode(rcode);
    if (query.getQuestion() != null) {
      reply.addRecord(query.getQuestion(), Section.QUESTION);
    }
    return reply;
  }

  private static InetAddress inet(Ipv4 ip) {
    int[] o = ip.octets();
    try {
      return InetAddress.getByAddress(
          new byte[] {(byte) o[0], (byte) o[1], (byte) o[2], (byte) o[3]});
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are an IPv4 address", e);
    }
  }
}

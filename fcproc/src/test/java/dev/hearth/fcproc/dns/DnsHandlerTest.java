package dev.hearth.fcproc.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The answer logic: dnsjava messages in and out, a fake upstream, a recording gate. */
class DnsHandlerTest {
  private static final Ipv4Cidr BRIDGE = Ipv4Cidr.parse("10.77.0.1/24");
  private static final Ipv4 GUEST = Ipv4.parse("10.77.0.9");
  private static final InetAddress HOST = InetAddress.getLoopbackAddress();

  private final DnsRecords records = new DnsRecords();
  private final List<Message> forwarded = new ArrayList<>();
  private final RecordingGate gate = new RecordingGate();
  private Optional<Message> upstreamAnswer = Optional.empty();

  private final Forwarder upstream =
      (query, tcp) -> {
        forwarded.add(query);
        return upstreamAnswer;
      };

  private DnsHandler handler(int maxForwards) {
    return new DnsHandler(
        new LocalZone("hearth.internal", BRIDGE, records),
        upstream,
        gate,
        maxForwards,
        maxForwards);
  }

  private Message ask(String name, int type, Optional<Ipv4> guest) throws Exception {
    return handler(4)
        .answer(query(name, type), guest.map(DnsHandlerTest::address).orElse(HOST), guest, false);
  }

  @Test
  void aVmNameGetsItsAddressWithAShortTtl() throws Exception {
    records.put("demo", Ipv4.parse("10.77.0.2"));

    Message reply = ask("Demo.Hearth.Internal.", Type.A, Optional.of(GUEST));

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(reply.getSection(Section.ANSWER))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(((ARecord) r).getAddress().getHostAddress()).isEqualTo("10.77.0.2");
              assertThat(r.getTTL()).isEqualTo(LocalZone.TTL);
            });
    assertThat(forwarded).isEmpty();
    assertThat(gate.asked).as("VM names are never gated").isEmpty();
  }

  @Test
  void otherTypesOfAVmNameGetNoErrorWithoutAnAnswer() throws Exception {
    records.put("demo", Ipv4.parse("10.77.0.2"));

    Message reply = ask("demo.hearth.internal.", Type.AAAA, Optional.empty());

    assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(reply.getSection(Section.ANSWER)).isEmpty();
    assertThat(reply.getSection(Section.AUTHORITY))
        .singleElement()
        .matches(r -> r.getType() == Type.SOA);
  }

  @Test
  void otherNamesUnderTheDomainDoNotExist() throws Exception {
    records.put("demo", Ipv4.parse("10.77.0.2"));

    for (String name : List.of("gone.hearth.internal.", "a.demo.hearth.internal.")) {
      Message reply = ask(name, Type.A, Optional.of(GUEST));
      assertThat(reply.getRcode()).as(name).isEqualTo(Rcode.NXDOMAIN);
      assertThat(reply.getSection(Section.AUTHORITY))
          .singleElement()
          .matches(r -> r.getType() == Type.SOA);
    }
    assertThat(forwarded).isEmpty();
  }

  @Test
  void reverseNamesOfTheBridgePrefixAreAnswered() throws Exception {
    records.put("demo", Ipv4.parse("10.77.0.2"));

    Message known = ask("2.0.77.10.in-addr.arpa.", Type.PTR, Optional.empty());
    Message unknown = ask("3.0.77.10.in-addr.arpa.", Type.PTR, Optional.empty());
    ask("4.3.2.1.in-addr.arpa.", Type.PTR, Optional.empty());

    assertThat(known.getSection(Section.ANSWER))
        .singleElement()
        .satisfies(
            r ->
                assertThat(((PTRRecord) r).getTarget())
                    .isEqualTo(Name.fromString("demo.hearth.internal.")));
    assertThat(unknown.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(forwarded).as("outside the prefix: upstream").hasSize(1);
  }

  @Test
  void otherNamesGoUpstreamAndTheGateHearsTheAddressesFirst() throws Exception {
    Message answer = reply(query("example.test.", Type.A), Rcode.NOERROR);
    answer.addRecord(a("example.test.", "203.0.113.10", 300), Section.ANSWER);
    answer.addRecord(a("example.test.", "203.0.113.11", 60), Section.ANSWER);
    upstreamAnswer = Optional.of(answer);

    Message reply = ask("Example.Test.", Type.A, Optional.of(GUEST));

    assertThat(reply).isSameAs(answer);
    assertThat(gate.asked).containsExactly(GUEST + " example.test");
    assertThat(gate.resolved)
        .containsExactly(GUEST + " example.test [203.0.113.10, 203.0.113.11] PT1M");
  }

  @Test
  void aGuestQuestionTheGateRefusesIsNotForwarded() throws Exception {
    gate.refuse = true;

    Message reply = ask("denied.test.", Type.A, Optional.of(GUEST));

    assertThat(reply.getRcode()).isEqualTo(Rcode.REFUSED);
    assertThat(forwarded).isEmpty();
  }

  @Test
  void aRefusalToAQueryWithEdnsSaysWhyAsAnExtendedError() throws Exception {
    gate.refuse = true;
    Message query = query("denied.test.", Type.A);
    query.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);

    Message reply = handler(4).answer(query, address(GUEST), Optional.of(GUEST), false);

    assertThat(reply.getRcode()).isEqualTo(Rcode.REFUSED);
    List<EDNSOption> options = reply.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR);
    assertThat(options)
        .singleElement()
        .isInstanceOfSatisfying(
            ExtendedErrorCodeOption.class,
            ede -> {
              assertThat(ede.getErrorCode()).isEqualTo(ExtendedErrorCodeOption.PROHIBITED);
              assertThat(ede.getText())
                  .isEqualTo(
                      "hearth: the VM's egress policy does not allow denied.test"
                          + " (see hearth vm egress)");
            });
    // And it survives the trip to the wire, within a plain UDP reply's 512 bytes.
    Message parsed =
        new Message(
            handler(4).handle(query.toWire(), address(GUEST), Optional.of(GUEST), false).get());
    assertThat(parsed.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR)).hasSize(1);
  }

  @Test
  void aRefusalWithoutEdnsIsAPlainRefused() throws Exception {
    gate.refuse = true;

    Message reply = ask("denied.test.", Type.A, Optional.of(GUEST));

    assertThat(reply.getRcode()).isEqualTo(Rcode.REFUSED);
    assertThat(reply.getOPT()).isNull();
  }

  @Test
  void aPlainNameIsNxdomainWithoutForwardingOrARefusal() throws Exception {
    gate.refuse = true;

    Message aaaa = ask("demo.", Type.AAAA, Optional.of(GUEST));
    Message a = ask("Demo.", Type.A, Optional.empty());

    assertThat(aaaa.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(a.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(gate.asked).isEmpty();
    assertThat(forwarded).isEmpty();
  }

  @Test
  void theHostsQuestionsAreNeverGated() throws Exception {
    gate.refuse = true;
    upstreamAnswer = Optional.of(reply(query("denied.test.", Type.A), Rcode.NOERROR));

    assertThat(ask("denied.test.", Type.A, Optional.empty()).getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(gate.asked).isEmpty();
    assertThat(gate.resolved).isEmpty();
  }

  @Test
  void noUpstreamAnswerIsServfail() throws Exception {
    assertThat(ask("example.test.", Type.A, Optional.of(GUEST)).getRcode())
        .isEqualTo(Rcode.SERVFAIL);
    assertThat(gate.resolved).isEmpty();
  }

  @Test
  void questionsBeyondTheForwardLimitGetServfail() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    DnsHandler one =
        new DnsHandler(
            new LocalZone("hearth.internal", BRIDGE, records),
            (query, tcp) -> {
              inside.countDown();
              release.await();
              return Optional.of(reply(query, Rcode.NOERROR));
            },
            EgressGate.OPEN,
            1,
            1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Message> first =
          pool.submit(() -> one.answer(query("a.test.", Type.A), HOST, Optional.empty(), false));
      assertThat(inside.await(10, TimeUnit.SECONDS)).as("first question upstream").isTrue();

      Message second = one.answer(query("b.test.", Type.A), HOST, Optional.empty(), false);

      assertThat(second.getRcode()).isEqualTo(Rcode.SERVFAIL);
      release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).getRcode()).isEqualTo(Rcode.NOERROR);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  /**
   * A guest whose questions the upstream never answers holds only its share of the questions
   * upstream: beyond it, its questions get SERVFAIL at once, and another guest's question is still
   * forwarded and answered although the flooder asked as many as the server takes in all.
   */
  @Test
  void aSourceWhoseQuestionsHangUpstreamHoldsOnlyItsShare() throws Exception {
    int max = 4;
    int share = 2;
    Ipv4 flooder = Ipv4.parse("10.77.0.20");
    Ipv4 other = Ipv4.parse("10.77.0.21");
    CountDownLatch release = new CountDownLatch(1);
    // Each of the flooder's questions counts down when it reaches the upstream or is answered,
    // whichever comes first (one that reaches the upstream is answered only after the release).
    CountDownLatch settled = new CountDownLatch(max);
    DnsHandler fair =
        new DnsHandler(
            new LocalZone("hearth.internal", BRIDGE, records),
            (query, tcp) -> {
              if (DnsHandler.nameOf(query.getQuestion()).equals("hangs.test")) {
                settled.countDown();
                release.await();
              }
              return Optional.of(reply(query, Rcode.NOERROR));
            },
            EgressGate.OPEN,
            max,
            share);
    ExecutorService pool = Executors.newFixedThreadPool(max);
    try {
      List<Future<Message>> flood = new ArrayList<>();
      for (int i = 0; i < max; i++) {
        flood.add(
            pool.submit(
                () -> {
                  try {
                    return fair.answer(
                        query("hangs.test.", Type.A),
                        address(flooder),
                        Optional.of(flooder),
                        false);
                  } finally {
                    settled.countDown();
                  }
                }));
      }
      assertThat(settled.await(10, TimeUnit.SECONDS))
          .as("each of the flooder's %d questions upstream or answered", max)
          .isTrue();

      Message answer =
          fair.answer(query("quick.test.", Type.A), address(other), Optional.of(other), false);

      assertThat(Rcode.string(answer.getRcode()))
          .as("another guest's question while the flooder's hang upstream")
          .isEqualTo("NOERROR");
      release.countDown();
      List<String> rcodes = new ArrayList<>();
      for (Future<Message> f : flood) {
        rcodes.add(Rcode.string(f.get(10, TimeUnit.SECONDS).getRcode()));
      }
      assertThat(rcodes)
          .as("the flooder's answers: its share upstream, SERVFAIL beyond")
          .containsExactlyInAnyOrder("NOERROR", "NOERROR", "SERVFAIL", "SERVFAIL");
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void malformedInputNeverThrows() throws Exception {
    DnsHandler h = handler(4);
    byte[] valid = query("demo.hearth.internal.", Type.A).toWire();

    assertThat(h.handle(new byte[3], HOST, Optional.empty(), false))
        .as("shorter than a header")
        .isEmpty();
    byte[] cut = java.util.Arrays.copyOf(valid, valid.length - 3);
    byte[] formErr = h.handle(cut, HOST, Optional.empty(), false).orElseThrow();
    assertThat(new Message(formErr).getRcode()).isEqualTo(Rcode.FORMERR);
    assertThat(new Message(formErr).getHeader().getID())
        .isEqualTo(new Message(valid).getHeader().getID());

    byte[] asReply = valid.clone();
    asReply[2] |= (byte) 0x80;
    assertThat(h.handle(asReply, HOST, Optional.empty(), false))
        .as("a reply is never answered")
        .isEmpty();

    java.util.Random random = new java.util.Random(14);
    for (int i = 0; i < 2000; i++) {
      byte[] junk = valid.clone();
      junk[12 + random.nextInt(junk.length - 12)] = (byte) random.nextInt(256);
      junk[2] &= 0x7f;
      h.handle(junk, HOST, Optional.empty(), false);
      byte[] noise = new byte[random.nextInt(64)];
      random.nextBytes(noise);
      h.handle(noise, address(GUEST), Optional.of(GUEST), random.nextBoolean());
    }
  }

  @Test
  void otherOpcodesAndQuestionCountsAreRefusedPlainly() throws Exception {
    Message notify = query("demo.hearth.internal.", Type.SOA);
    notify.getHeader().setOpcode(Opcode.NOTIFY);
    Message none = new Message();

    assertThat(handler(4).answer(notify, HOST, Optional.empty(), false).getRcode())
        .isEqualTo(Rcode.NOTIMP);
    assertThat(handler(4).answer(none, HOST, Optional.empty(), false).getRcode())
        .isEqualTo(Rcode.FORMERR);
  }

  @Test
  void udpRepliesAreCutToTheClientsSize() throws Exception {
    Message big = reply(query("big.test.", Type.A), Rcode.NOERROR);
    for (int i = 1; i <= 60; i++) {
      big.addRecord(a("big.test.", "203.0.113." + i, 60), Section.ANSWER);
    }
    upstreamAnswer = Optional.of(big);
    byte[] wire = query("big.test.", Type.A).toWire();

    byte[] udp = handler(4).handle(wire, HOST, Optional.empty(), false).orElseThrow();
    byte[] tcp = handler(4).handle(wire, HOST, Optional.empty(), true).orElseThrow();

    assertThat(udp.length).isLessThanOrEqualTo(512);
    assertThat(new Message(udp).getHeader().getFlag(Flags.TC)).isTrue();
    assertThat(new Message(tcp).getSection(Section.ANSWER)).hasSize(60);
  }

  static Message query(String name, int type) throws Exception {
    return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
  }

  static Message reply(Message query, int rcode) {
    Message reply = new Message(query.getHeader().getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setRcode(rcode);
    reply.addRecord(query.getQuestion(), Section.QUESTION);
    return reply;
  }

  static InetAddress address(Ipv4 ip) {
    int[] o = ip.octets();
    try {
      return InetAddress.getByAddress(
          new byte[] {(byte) o[0], (byte) o[1], (byte) o[2], (byte) o[3]});
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are an address", e);
    }
  }

  static ARecord a(String name, String ip, long ttl) throws Exception {
    return new ARecord(Name.fromString(name), DClass.IN, ttl, InetAddress.getByName(ip));
  }

  /** Records what the DNS asks and tells; refuses every name when {@link #refuse} is set. */
  static final class RecordingGate implements EgressGate {
    final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<String> resolved = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile boolean refuse;

    @Override
    public boolean mayResolve(Ipv4 guest, String name) {
      asked.add(guest + " " + name);
      return !refuse;
    }

    @Override
    public void resolved(Ipv4 guest, String name, List<Ipv4> addresses, Duration ttl) {
      resolved.add(guest + " " + name + " " + addresses + " " + ttl);
    }
  }
}

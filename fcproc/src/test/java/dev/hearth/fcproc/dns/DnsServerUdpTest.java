package dev.hearth.fcproc.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The VM DNS's UDP workers on real loopback sockets: one source address whose questions hold their
 * workers (an upstream that never answers) holds only its share, and another source is answered.
 * Each client speaks from an address of its own in 127.0.0.0/8, so that each is a source of its
 * own.
 */
class DnsServerUdpTest {
  private static final Ipv4Cidr BRIDGE = Ipv4Cidr.parse("10.77.0.1/24");
  private static final Ipv4 DEMO = Ipv4.parse("10.77.0.2");
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  /**
   * The flooder sends as many questions as there are workers, each of which hangs upstream; the
   * server reads them before the other source's question (one socket, read in order), so without a
   * share per source every worker is taken when the other's question comes, and it is dropped.
   */
  @Test
  void aSourceWhoseQuestionsHangHoldsOnlyItsShareOfTheWorkers() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    cleanup.add(release::countDown);
    CountDownLatch upstream = new CountDownLatch(DnsServer.UDP_WORKERS_PER_SOURCE);
    DnsRecords records = new DnsRecords();
    records.put("demo", DEMO);
    // No share of the forwards here (as many as the workers), so that only the workers' share
    // counts.
    DnsHandler handler =
        new DnsHandler(
            new LocalZone("hearth.internal", BRIDGE, records),
            (query, tcp) -> {
              upstream.countDown();
              release.await();
              return Optional.empty();
            },
            EgressGate.OPEN,
            DnsServer.MAX_UDP_WORKERS,
            DnsServer.MAX_UDP_WORKERS);
    DnsServer dns = new DnsServer(handler, BRIDGE, TcpLimits.DEFAULT);
    cleanup.add(dns::close);
    InetSocketAddress server =
        dns.listen(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), false);

    DatagramSocket flooder = socket(source(1, 1));
    for (int i = 0; i < DnsServer.MAX_UDP_WORKERS; i++) {
      send(flooder, server, question("hangs" + i + ".test.", Type.A));
    }
    assertThat(upstream.await(WAIT.toSeconds(), TimeUnit.SECONDS))
        .as("%d of the flooder's questions upstream", DnsServer.UDP_WORKERS_PER_SOURCE)
        .isTrue();

    DatagramSocket other = socket(source(2, 1));
    Message asked = question("demo.hearth.internal.", Type.A);
    send(other, server, asked);
    Message answer = receive(other, asked);

    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress())
        .isEqualTo(DEMO.toString());
  }

  private DatagramSocket socket(InetSocketAddress from) throws Exception {
    DatagramSocket socket = new DatagramSocket(from);
    cleanup.add(socket);
    socket.setSoTimeout((int) WAIT.toMillis());
    return socket;
  }

  private static InetSocketAddress source(int third, int fourth) throws Exception {
    return new InetSocketAddress(
        InetAddress.getByAddress(new byte[] {127, 0, (byte) third, (byte) fourth}), 0);
  }

  private static Message question(String name, int type) throws Exception {
    return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
  }

  private static void send(DatagramSocket socket, InetSocketAddress to, Message query)
      throws Exception {
    byte[] wire = query.toWire();
    socket.send(new DatagramPacket(wire, wire.length, to));
  }

  /** The reply to {@code query}, waiting at most {@link #WAIT}. */
  private static Message receive(DatagramSocket socket, Message query) throws Exception {
    byte[] buffer = new byte[4096];
    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
    try {
      socket.receive(packet);
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "no UDP answer to "
              + query.getQuestion().getName()
              + " from "
              + socket.getLocalAddress().getHostAddress()
              + " within "
              + WAIT
              + ": the server dropped it",
          e);
    }
    Message reply = new Message(Arrays.copyOf(buffer, packet.getLength()));
    assertThat(reply.getHeader().getID()).isEqualTo(query.getHeader().getID());
    return reply;
  }
}

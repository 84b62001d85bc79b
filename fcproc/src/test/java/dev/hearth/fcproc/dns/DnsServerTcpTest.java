package dev.hearth.fcproc.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The VM DNS's TCP bounds ({@link TcpLimits}) on real loopback sockets, with limits short enough
 * for a test: a client that trickles bytes, or that reads no answers, is cut off, and one source
 * address never holds every connection slot. Each client speaks from an address of its own in
 * 127.0.0.0/8 (all of it loopback on Linux), so that each is a source of its own.
 */
class DnsServerTcpTest {
  private static final Ipv4Cidr BRIDGE = Ipv4Cidr.parse("10.77.0.1/24");
  private static final Ipv4 DEMO = Ipv4.parse("10.77.0.2");
  private static final String DEMO_NAME = "demo.hearth.internal.";

  /** What the forwarder answers with about 50 KB, so that a client that reads none blocks it. */
  private static final String BIG_NAME = "big.test.";

  /** How long a test waits for what it expects, far beyond the limits that should cause it. */
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A trickler's pace: below every read time-out of these limits, so none of those fires. */
  private static final Duration TRICKLE = Duration.ofMillis(300);

  private static final TcpLimits TRICKLE_LIMITS =
      new TcpLimits(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(1), 4);

  /** Limits that none of a test's clients reaches within {@link #WAIT}. */
  private static final TcpLimits LONG_LIMITS =
      new TcpLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMinutes(1), 4);

  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private InetSocketAddress server;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  @Test
  void aQuestionTrickledByteByByteIsCutOffAtItsDeadline() throws Exception {
    start(TRICKLE_LIMITS);
    Socket trickler = connect(source(1, 1));

    assertThat(sendsUntilCut(trickler, new byte[] {0x40}, TRICKLE))
        .as("the server closed a connection that sent one byte every %s", TRICKLE)
        .isTrue();
  }

  @Test
  void sixteenTricklersLeaveTheSlotsToAnHonestClientOnceTheirDeadlinePassed() throws Exception {
    start(TRICKLE_LIMITS);
    List<Socket> tricklers = new ArrayList<>();
    for (int i = 1; i <= DnsServer.MAX_TCP_CONNECTIONS; i++) {
      tricklers.add(connect(source(1, i)));
    }
    ScheduledExecutorService trickling = Executors.newSingleThreadScheduledExecutor();
    cleanup.add(trickling::shutdownNow);
    trickling.scheduleAtFixedRate(
        () -> tricklers.forEach(t -> sendQuietly(t, new byte[] {0x40})),
        0,
        TRICKLE.toMillis(),
        TimeUnit.MILLISECONDS);

    Message answer = answerWithin(source(2, 1), DEMO_NAME);

    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress())
        .isEqualTo(DEMO.toString());
  }

  /**
   * A client asks for big answers and reads none, so the server's write blocks, where no read
   * deadline applies: only the connection's lifetime ends it.
   */
  @Test
  void aClientThatReadsNoAnswersIsClosedAtTheEndOfItsLifetime() throws Exception {
    start(new TcpLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(1), 4));
    Socket client = new Socket();
    cleanup.add(client);
    client.setReceiveBufferSize(4096);
    client.bind(source(1, 1));
    client.connect(server, (int) WAIT.toMillis());
    ByteArrayOutputStream questions = new ByteArrayOutputStream();
    for (int i = 0; i < 300; i++) {
      questions.write(framed(BIG_NAME, Type.TXT));
    }
    client.getOutputStream().write(questions.toByteArray());

    assertThat(sendsUntilCut(client, framed(BIG_NAME, Type.TXT), Duration.ofMillis(100)))
        .as("the server closed a connection whose client reads no answers")
        .isTrue();
  }

  @Test
  void oneSourceHoldsAtMostItsShareOfTheSlotsAndAnotherIsAnswered() throws Exception {
    start(LONG_LIMITS);
    List<Socket> mine = new ArrayList<>();
    for (int i = 0; i < DnsServer.MAX_TCP_CONNECTIONS; i++) {
      mine.add(connect(source(1, 1)));
    }

    Optional<Message> other = ask(source(2, 1), DEMO_NAME);

    assertThat(other)
        .as("an answer to another source while one has opened every slot's worth of connections")
        .hasValueSatisfying(m -> assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR));
    int share = LONG_LIMITS.perSource();
    for (int i = share; i < mine.size(); i++) {
      assertThat(closedByServer(mine.get(i))).as("connection %d of one source", i + 1).isTrue();
    }
    for (int i = 0; i < share; i++) {
      assertThat(exchange(mine.get(i), DEMO_NAME))
          .as("connection %d of one source, within its share", i + 1)
          .isPresent();
    }
  }

  // ---- helpers ----

  private void start(TcpLimits limits) throws IOException {
    DnsRecords records = new DnsRecords();
    records.put("demo", DEMO);
    DnsHandler handler =
        new DnsHandler(
            new LocalZone("hearth.internal", BRIDGE, records),
            (query, tcp) -> Optional.of(bigAnswer(query)),
            EgressGate.OPEN,
            4,
            4);
    DnsServer dns = new DnsServer(handler, BRIDGE, limits);
    cleanup.add(dns::close);
    server = dns.listen(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), false);
  }

  /** A reply to {@code query} with one TXT record of about 50 KB. */
  private static Message bigAnswer(Message query) {
    Message reply = new Message(query.getHeader().getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.addRecord(query.getQuestion(), Section.QUESTION);
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      strings.add("x".repeat(250));
    }
    reply.addRecord(
        new TXTRecord(query.getQuestion().getName(), DClass.IN, 60, strings), Section.ANSWER);
    return reply;
  }

  private static InetSocketAddress source(int third, int fourth) throws IOException {
    return new InetSocketAddress(
        InetAddress.getByAddress(new byte[] {127, 0, (byte) third, (byte) fourth}), 0);
  }

  private Socket connect(InetSocketAddress from) throws IOException {
    Socket socket = new Socket();
    cleanup.add(socket);
    socket.bind(from);
    socket.connect(server, (int) WAIT.toMillis());
    return socket;
  }

  /**
   * Sends {@code bytes} every {@code pace} until a write fails, as it does once the server closed
   * the connection; false when that did not happen within {@link #WAIT}.
   */
  private static boolean sendsUntilCut(Socket socket, byte[] bytes, Duration pace)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        socket.getOutputStream().write(bytes);
      } catch (IOException e) {
        return true;
      }
      Thread.sleep(pace.toMillis());
    }
    return false;
  }

  private static void sendQuietly(Socket socket, byte[] bytes) {
    try {
      socket.getOutputStream().write(bytes);
    } catch (IOException e) {
      // The server cut this one off.
    }
  }

  /** Whether the server closes {@code socket}, waiting at most {@link #WAIT}. */
  private static boolean closedByServer(Socket socket) throws IOException {
    socket.setSoTimeout((int) WAIT.toMillis());
    try {
      return socket.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  /** The answer to {@code name} over a new connection from {@code from}, asked until one comes. */
  private Message answerWithin(InetSocketAddress from, String name) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Message> answer = ask(from, name);
      if (answer.isPresent()) {
        return answer.get();
      }
      Thread.sleep(50);
    }
    throw new AssertionError(
        "no TCP answer to "
            + name
            + " from "
            + from.getAddress().getHostAddress()
            + " within "
            + WAIT
            + ": the server closed every connection unanswered");
  }

  /** The answer over a new connection, or empty when the server closed it unanswered. */
  private Optional<Message> ask(InetSocketAddress from, String name) throws IOException {
    try (Socket socket = connect(from)) {
      return exchange(socket, name);
    }
  }

  /**
   * The answer to an A question for {@code name} on {@code socket}, or empty when the server closed
   * it unanswered.
   */
  private static Optional<Message> exchange(Socket socket, String name) throws IOException {
    socket.setSoTimeout((int) WAIT.toMillis());
    try {
      socket.getOutputStream().write(framed(name, Type.A));
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] reply = new byte[in.readUnsignedShort()];
      in.readFully(reply);
      return Optional.of(new Message(reply));
    } catch (EOFException | SocketException e) {
      return Optional.empty();
    }
  }

  /** A question for {@code name} with its 2-byte TCP length. */
  private static byte[] framed(String name, int type) throws IOException {
    byte[] query =
        Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)).toWire();
    ByteArrayOutputStream framed = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(framed);
    out.writeShort(query.length);
    out.write(query);
    return framed.toByteArray();
  }
}

package dev.hearth.fcproc.dns;

import dev.hearth.fcproc.net.EgressGate;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VM DNS (ARCHITECTURE.md, "VM DNS"): answers {@code <vm>.<domain>} and the bridge prefix's
 * reverse names from {@link DnsRecords}, and forwards every other question to the upstream
 * resolvers, over UDP and TCP on each address given to {@link #listen}.
 *
 * <p>Threads: one receiving thread per UDP socket and one accepting thread per TCP socket, which
 * only hand work on; a bounded pool of workers answers UDP questions (a question beyond it, or
 * beyond its source's share, is dropped, and the client asks again), and a bounded pool serves TCP
 * connections (one beyond it, or beyond its source's share, is closed at once). Questions upstream
 * at once are bounded too, in all and per source (beyond: SERVFAIL). How long a TCP connection may
 * wait for, read and hold questions is bounded by {@link TcpLimits}. Replies go only to the address
 * that asked. {@link #close} closes every socket, which ends the threads.
 */
public final class DnsServer implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);

  static final int MAX_UDP_WORKERS = 32;
  static final int MAX_TCP_CONNECTIONS = 16;
  static final int MAX_FORWARDS = 32;

  /**
   * One source address's share of the UDP workers and of the questions upstream: a guest that
   * floods questions the upstream is slow to answer holds no more, and leaves the rest to the other
   * VMs and the host.
   */
  static final int UDP_WORKERS_PER_SOURCE = 8;

  static final int FORWARDS_PER_SOURCE = 8;

  /** The largest UDP question read; a longer one is cut and then fails to parse (FORMERR). */
  private static final int UDP_QUESTION_MAX = 4096;

  private final DnsHandler handler;
  private final Ipv4Cidr bridge;
  private final ThreadPoolExecutor udpWorkers;
  private final ThreadPoolExecutor tcpWorkers;
  private final TcpLimits tcpLimits;
  private final SourceSlots sourceSlots;
  private final SourceSlots udpSourceSlots = new SourceSlots("UDP worker", UDP_WORKERS_PER_SOURCE);

  /** Closes each TCP connection at the end of its lifetime, wherever its thread is blocked. */
  private final ScheduledThreadPoolExecutor lifetimes;

  private final List<Closeable> sockets = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Map<InetSocketAddress, Listener> listeners = new HashMap<>();

  /** What {@link #listen} opened on one address: its two sockets and their threads. */
  private record Listener(List<Closeable> sockets, List<Thread> threads) {}

  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param domain the VMs' domain ({@code dns_domain})
   * @param bridge the bridge address and prefix: questions from the prefix's other addresses on a
   *     guest listener come from guests, and are held to {@code gate}
   * @param upstreams where other names are forwarded, in order
   */
  public DnsServer(
      DnsRecords records,
      String domain,
      Ipv4Cidr bridge,
      List<InetSocketAddress> upstreams,
      EgressGate gate) {
    this(
        new DnsHandler(
            new LocalZone(domain, bridge, records),
            new UpstreamForwarder(upstreams, UpstreamForwarder.BUDGET),
            gate,
            MAX_FORWARDS,
            FORWARDS_PER_SOURCE),
        bridge,
        TcpLimits.DEFAULT);
  }

  DnsServer(DnsHandler handler, Ipv4Cidr bridge, TcpLimits tcpLimits) {
    this.handler = handler;
    this.bridge = bridge;
    this.udpWorkers = pool("hearth-dns-udp", MAX_UDP_WORKERS);
    this.tcpWorkers = pool("hearth-dns-tcp", MAX_TCP_CONNECTIONS);
    this.tcpLimits = tcpLimits;
    this.sourceSlots = new SourceSlots("TCP connection", tcpLimits.perSource());
    this.lifetimes = new ScheduledThreadPoolExecutor(1, daemonThreads("hearth-dns-tcp-lifetime"));
    lifetimes.setRemoveOnCancelPolicy(true);
  }

  /**
   * Binds UDP and TCP on {@code address} and starts answering there. Port 0 picks a free port, the
   * same for both.
   *
   * @param guests whether questions from guests arrive here (the bridge address), so that they are
   *     held to the egress gate; the host's listener is never gated
   * @return the address bound
   * @throws DnsException naming the address when it cannot be bound
   */
  public synchronized InetSocketAddress listen(InetSocketAddress address, boolean guests) {
    if (closed) {
      throw new IllegalStateException("the VM DNS is closed");
    }
    DatagramSocket udp = null;
    ServerSocket tcp = null;
    try {
      // No SO_REUSEADDR on UDP: with it a second server could bind the same port unnoticed.
      udp = new DatagramSocket(address);
      tcp = new ServerSocket();
      tcp.setReuseAddress(true);
      tcp.bind(new InetSocketAddress(address.getAddress(), udp.getLocalPort()), 64);
    } catch (IOException e) {
      closeQuietly(udp);
      closeQuietly(tcp);
      throw new DnsException(
          "the VM DNS cannot listen on " + show(address) + ": " + e.getMessage(), e);
    }
    sockets.add(udp);
    sockets.add(tcp);
    InetSocketAddress bound = new InetSocketAddress(address.getAddress(), udp.getLocalPort());
    DatagramSocket udpSocket = udp;
    ServerSocket tcpSocket = tcp;
    Thread receiver = start("hearth-dns-udp-" + show(bound), () -> receive(udpSocket, guests));
    Thread acceptor = start("hearth-dns-tcp-" + show(bound), () -> accept(tcpSocket, guests));
    listeners.put(bound, new Listener(List.of(udp, tcp), List.of(receiver, acceptor)));
    log.info("VM DNS listening on {} (udp, tcp){}", show(bound), guests ? " for guests" : "");
    return bound;
  }

  /**
   * Closes the UDP and TCP sockets that {@link #listen} bound on {@code bound} (its answer) and
   * waits (2 s at most) for their threads to end, so that the address can be bound again at once: a
   * socket closed while a thread is blocked on it is released only when that thread returns.
   * Connections already accepted there run to their end. Nothing bound there is not an error.
   */
  public void unlisten(InetSocketAddress bound) throws InterruptedException {
    Listener listener;
    synchronized (this) {
      listener = listeners.remove(bound);
      if (listener == null) {
        return;
      }
      listener.sockets().forEach(DnsServer::closeQuietly);
      sockets.removeAll(listener.sockets());
      threads.removeAll(listener.threads());
    }
    for (Thread t : listener.threads()) {
      t.join(TimeUnit.SECONDS.toMillis(2));
    }
    log.info("VM DNS no longer listening on {}", show(bound));
  }

  private void receive(DatagramSocket socket, boolean guests) {
    byte[] buffer = new byte[UDP_QUESTION_MAX];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
      } catch (IOException e) {
        if (!closed && !socket.isClosed()) {
          log.warn("the VM DNS stopped receiving on {}: {}", socket.getLocalSocketAddress(), e);
        }
        return;
      }
      byte[] question = Arrays.copyOf(packet.getData(), packet.getLength());
      InetSocketAddress from = (InetSocketAddress) packet.getSocketAddress();
      if (!udpSourceSlots.tryTake(from.getAddress())) {
        log.debug(
            "VM DNS: dropped a question from {}, which has {} being answered already",
            from,
            UDP_WORKERS_PER_SOURCE);
        continue;
      }
      try {
        udpWorkers.execute(() -> answerUdpHoldingSlot(socket, question, from, guests));
      } catch (RejectedExecutionException e) {
        udpSourceSlots.release(from.getAddress());
        log.debug("VM DNS busy: dropped a question from {}", from);
      }
    }
  }

  private void answerUdpHoldingSlot(
      DatagramSocket socket, byte[] question, InetSocketAddress from, boolean guests) {
    try {
      answerUdp(socket, question, from, guests);
    } finally {
      udpSourceSlots.release(from.getAddress());
    }
  }

  private void answerUdp(
      DatagramSocket socket, byte[] question, InetSocketAddress from, boolean guests) {
    try {
      Optional<byte[]> reply = reply(question, from, guests, false);
      if (reply.isPresent()) {
        socket.send(new DatagramPacket(reply.get(), reply.get().length, from));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        log.debug("VM DNS could not answer {}: {}", from, e.toString());
      }
    }
  }

  private void accept(ServerSocket server, boolean guests) {
    while (!closed) {
      Socket connection;
      try {
        connection = server.accept();
      } catch (IOException e) {
        if (!closed && !server.isClosed()) {
          log.warn("the VM DNS stopped accepting on {}: {}", server.getLocalSocketAddress(), e);
        }
        return;
      }
      InetSocketAddress from = (InetSocketAddress) connection.getRemoteSocketAddress();
      if (!sourceSlots.tryTake(from.getAddress())) {
        log.debug(
            "VM DNS: closed a TCP connection from {}, which has {} open already",
            from,
            tcpLimits.perSource());
        closeQuietly(connection);
        continue;
      }
      connections.add(connection);
      try {
        tcpWorkers.execute(() -> serve(connection, from, guests));
      } catch (RejectedExecutionException e) {
        log.debug("VM DNS busy: closed a TCP connection from {}", from);
        sourceSlots.release(from.getAddress());
        drop(connection);
      }
    }
  }

  private void serve(Socket connection, InetSocketAddress from, boolean guests) {
    try {
      ScheduledFuture<?> expiry =
          lifetimes.schedule(
              () -> expire(connection, from), tcpLimits.lifetime().toNanos(), TimeUnit.NANOSECONDS);
      try {
        answerAll(connection, from, guests);
      } finally {
        expiry.cancel(false);
      }
    } catch (SocketTimeoutException e) {
      log.debug("VM DNS closed the TCP connection from {}: {}", from, e.getMessage());
    } catch (EOFException e) {
      // The client left inside a question.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      if (!closed && !connection.isClosed()) {
        log.debug("VM DNS TCP connection from {} failed: {}", from, e.toString());
      }
    } finally {
      sourceSlots.release(from.getAddress());
      drop(connection);
    }
  }

  /** Answers a TCP connection's questions in turn until the client is done. */
  private void answerAll(Socket connection, InetSocketAddress from, boolean guests)
      throws IOException, InterruptedException {
    TcpQuestions questions = new TcpQuestions(connection, tcpLimits);
    DataOutputStream out = new DataOutputStream(connection.getOutputStream());
    while (!closed) {
      Optional<byte[]> question = questions.next();
      if (question.isEmpty()) {
        return;
      }
      Optional<byte[]> reply = reply(question.get(), from, guests, true);
      if (reply.isEmpty()) {
        return;
      }
      out.writeShort(reply.get().length);
      out.write(reply.get());
      out.flush();
    }
  }

  /**
   * Ends a connection that reached its lifetime: closing the socket also frees a thread blocked in
   * a write to a client that reads no answers, which no read deadline would.
   */
  private void expire(Socket connection, InetSocketAddress from) {
    log.debug("VM DNS closed the TCP connection from {}: open for {}", from, tcpLimits.lifetime());
    closeQuietly(connection);
  }

  /**
   * The reply to a question. On the guests' listener only the bridge prefix is served: a guest
   * (held to its egress policy) or the host itself (the bridge address, which a host process asking
   * the bridge address speaks from). Any other source reached it through the host's routing (a
   * neighbour routing the prefix through this host) and is refused, so that the VM DNS is no open
   * resolver, and no list of the VMs, for the host's networks.
   */
  private Optional<byte[]> reply(
      byte[] question, InetSocketAddress from, boolean guests, boolean tcp)
      throws InterruptedException {
    if (guests && !inBridgePrefix(from)) {
      log.debug("VM DNS: refused a question from {}, outside the bridge prefix", from);
      return handler.refuse(question, tcp);
    }
    return handler.handle(question, from.getAddress(), guestOf(from, guests), tcp);
  }

  private boolean inBridgePrefix(InetSocketAddress from) {
    return from.getAddress() instanceof Inet4Address v4 && bridge.contains(ipv4(v4));
  }

  private static Ipv4 ipv4(Inet4Address v4) {
    byte[] b = v4.getAddress();
    return Ipv4.of(b[0] & 0xff, b[1] & 0xff, b[2] & 0xff, b[3] & 0xff);
  }

  /**
   * The guest that asked, if the question is a guest's: from the bridge prefix, on its listener.
   */
  private Optional<Ipv4> guestOf(InetSocketAddress from, boolean guests) {
    if (!guests || !(from.getAddress() instanceof Inet4Address v4)) {
      return Optional.empty();
    }
    Ipv4 ip = ipv4(v4);
    boolean guest = bridge.contains(ip) && !ip.equals(bridge.address());
    return guest ? Optional.of(ip) : Optional.empty();
  }

  /** Closes every socket and connection and stops the threads; idempotent. */
  @Override
  public void close() {
    List<Thread> started;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      sockets.forEach(DnsServer::closeQuietly);
      started = List.copyOf(threads);
    }
    connections.forEach(DnsServer::closeQuietly);
    udpWorkers.shutdownNow();
    tcpWorkers.shutdownNow();
    lifetimes.shutdownNow();
    try {
      for (Thread t : started) {
        t.join(TimeUnit.SECONDS.toMillis(2));
      }
      // A worker may be waiting on an upstream: at most the forwarding budget.
      udpWorkers.awaitTermination(2, TimeUnit.SECONDS);
      tcpWorkers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("VM DNS stopped");
  }

  private Thread start(String name, Runnable loop) {
    Thread t = new Thread(loop, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return t;
  }

  private void drop(Socket connection) {
    connections.remove(connection);
    closeQuietly(connection);
  }

  private static ThreadPoolExecutor pool(String name, int max) {
    return new ThreadPoolExecutor(
        0, max, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemonThreads(name));
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static String show(InetSocketAddress address) {
    InetAddress a = address.getAddress();
    String host = a == null ? address.getHostString() : a.getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  private static void closeQuietly(Closeable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      log.debug("closing {} failed: {}", c, e.toString());
    }
  }
}

package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.fcproc.net.Ipv4;
import dev.hearth.fcproc.net.Ipv4Cidr;
import dev.hearth.fcproc.testing.TestNetwork;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * "The internet" for the egress steps, in a network namespace of the test's own: a veth pair from
 * the host's namespace (a 10.232.x.0/30 no route of the host overlaps), the range {@link #RANGE}
 * routed into it, a DNS resolver (dnsmasq with fixed records, nothing forwarded) on {@link
 * #RESOLVER} port 53 that answers {@code allowed.example} with {@link #ALLOWED} and {@code
 * denied.example} with {@link #DENIED}, and a TCP listener on port {@link #PORT} of every address.
 * The constructor checks with {@code ip route get} that the range leads into the namespace before
 * anything is sent; {@link #close} removes the route, the namespace and its processes.
 */
final class FakeInternet implements AutoCloseable {
  static final String RANGE = "203.0.113.128/25";
  static final Ipv4 RESOLVER = Ipv4.parse("203.0.113.129");
  static final Ipv4 ALLOWED = Ipv4.parse("203.0.113.130");
  static final Ipv4 DENIED = Ipv4.parse("203.0.113.131");
  static final int PORT = 8080;
  private static final Duration WAIT = Duration.ofSeconds(20);

  final String namespace;
  private final String veth;
  private final Runner runner;
  private final List<Process> processes = new ArrayList<>();
  private boolean routed;

  FakeInternet(Runner runner, Path work) throws Exception {
    this.runner = runner;
    String id = String.format("%04x", new SecureRandom().nextInt(1 << 16));
    this.namespace = "egress" + id + "i";
    this.veth = "egress" + id + "u";
    try {
      setUp(work);
    } catch (Exception | AssertionError e) {
      close();
      throw e;
    }
  }

  private void setUp(Path work) throws Exception {
    CommandResult before = runner.check(Command.of("ip", "route", "show", RANGE));
    assertThat(before.stdout().strip())
        .as("a route the host already has for the test's internet range " + RANGE)
        .isEmpty();
    Ipv4Cidr uplink = TestNetwork.freeNetwork(runner, 232);
    Ipv4 hostSide = uplink.network().plus(1);
    Ipv4 netSide = uplink.network().plus(2);
    runner.check(Command.of("ip", "netns", "add", namespace));
    inside("ip", "link", "set", "lo", "up");
    runner.check(
        Command.of(
            "ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace));
    runner.check(Command.of("ip", "addr", "add", hostSide + "/30", "dev", veth));
    runner.check(Command.of("ip", "link", "set", veth, "up"));
    inside("ip", "addr", "add", netSide + "/30", "dev", "eth0");
    inside("ip", "link", "set", "eth0", "up");
    for (Ipv4 ip : List.of(RESOLVER, ALLOWED, DENIED)) {
      inside("ip", "addr", "add", ip + "/32", "dev", "lo");
    }
    inside("ip", "route", "add", "default", "via", hostSide.toString());
    runner.check(Command.of("ip", "route", "add", RANGE, "via", netSide.toString(), "dev", veth));
    routed = true;
    for (Ipv4 ip : List.of(RESOLVER, ALLOWED, DENIED)) {
      assertThat(runner.check(Command.of("ip", "route", "get", ip.toString())).stdout())
          .as("the host's route to %s (it must lead into the test's namespace)", ip)
          .contains("via " + netSide + " dev " + veth);
    }
    start(
        work.resolve("fake-internet-dnsmasq.log"),
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        "--listen-address=" + RESOLVER,
        "--port=53",
        "--local-ttl=60",
        "--pid-file=",
        "--log-queries",
        "--log-facility=-",
        "--address=/allowed.example/" + ALLOWED,
        "--address=/denied.example/" + DENIED);
    start(
        work.resolve("fake-internet-listener.log"),
        "python3",
        "-c",
        "import socket\n"
            + "s = socket.socket()\n"
            + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            + "s.bind(('0.0.0.0', "
            + PORT
            + "))\n"
            + "s.listen(64)\n"
            + "while True:\n"
            + "    c, a = s.accept()\n"
            + "    print('accepted', a, flush=True)\n"
            + "    c.sendall(b'hello from the fake internet\\n')\n"
            + "    c.close()\n");
    Await.until(
        WAIT,
        "dnsmasq on " + RESOLVER + ":53 and the TCP listener on port " + PORT + " in " + namespace,
        () ->
            runner
                    .run(
                        Command.of(
                            "ip", "netns", "exec", namespace, "sh", "-c", "ss -Hlnt; ss -Hlnu"))
                    .stdout()
                    .contains(RESOLVER + ":53")
                && runner
                    .run(Command.of("ip", "netns", "exec", namespace, "ss", "-Hlnt"))
                    .stdout()
                    .contains(":" + PORT));
  }

  private void start(Path log, String... argv) throws IOException {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    command.addAll(List.of(argv));
    processes.add(
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start());
  }

  private void inside(String... argv) throws InterruptedException {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    command.addAll(List.of(argv));
    runner.check(Command.of(command));
  }

  /** Ends the processes, removes the route and the namespace (its end of the veth with it). */
  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        Await.exit(p, WAIT, "a process of the fake internet");
      }
    }
    if (routed) {
      runner.run(Command.of("ip", "route", "del", RANGE));
    }
    runner.run(Command.of("ip", "link", "del", veth));
    runner.run(Command.of("ip", "netns", "del", namespace));
  }

  /** What is left of it on the host: the namespace, the veth or the route. */
  List<String> leftovers() throws InterruptedException {
    List<String> left = new ArrayList<>();
    if (runner.check(Command.of("ip", "netns", "list")).stdout().contains(namespace)) {
      left.add("network namespace " + namespace);
    }
    if (runner.run(Command.of("ip", "link", "show", veth)).ok()) {
      left.add("veth " + veth);
    }
    if (!runner.check(Command.of("ip", "route", "show", RANGE)).stdout().isBlank()) {
      left.add("route " + RANGE);
    }
    return left;
  }
}

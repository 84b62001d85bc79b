package dev.hearth.bench;

import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VmSpec;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Exec against plain OpenSSH on one real guest (QEMU launcher, image and host setup from {@link
 * GuestBenchHost}): round-trip latency of {@code true} (median of {@value #LATENCY_RUNS}) and
 * throughput of {@value #THROUGHPUT_MIB} MiB of {@code head -c ... /dev/zero} (median of {@value
 * #THROUGHPUT_RUNS}).
 *
 * <p>Three ways in, each timed on this client's monotonic clock from just before the request to the
 * exit code: {@code vm.exec} through the typed client ({@link Hearth#connect}, kept; it runs each
 * exec on a connection of its own, and the daemon opens one SSH connection per exec, so every call
 * pays a full SSH handshake with the guest); {@code bin/hearth vm exec} (the whole CLI: JVM start,
 * connect, the same request; fewer runs, {@value #CLI_LATENCY_RUNS}, as each costs a JVM); and
 * {@code ssh -i <daemon key> root@IP} (also a full handshake per call). The three alternate within
 * each round so that load drifting on the host touches them alike. Stdin is at end of file for all
 * of them.
 *
 * <p>Usage: {@code ExecBench <dist dir> <scratch dir> <build cache dir>}; needs root and ssh.
 */
public final class ExecBench {
  private static final int LATENCY_RUNS = 50;
  private static final int CLI_LATENCY_RUNS = 20;
  private static final int THROUGHPUT_RUNS = 5;
  private static final int THROUGHPUT_MIB = 64;
  private static final int WARMUP = 3;
  private static final int FIRST_EXEC_TRIES = 3;
  private static final String VM = "execbench";

  public static void main(String[] args) throws Exception {
    Path dist = Path.of(args[0]).toAbsolutePath();
    Path scratch = Path.of(args[1]).toAbsolutePath();
    Path buildCache = Path.of(args[2]).toAbsolutePath();
    try (Teardown teardown = Teardown.onStop()) {
      GuestBenchHost host =
          teardown.start(
              () -> GuestBenchHost.prepare(dist, scratch, buildCache), GuestBenchHost::close);
      // Stopping the daemon deletes the VM too.
      teardown.start(
          () -> host.startDaemon(""), process -> BenchDaemon.stop(process, host.socket()));
      try (Hearth client = Hearth.connect(host.socket())) {
        host.buildImageIfMissing(client);
        String ip = createVm(client);
        new ExecBench(host, client, ip).run();
      }
    }
  }

  private final GuestBenchHost host;
  private final Hearth client;
  private final String ip;

  private ExecBench(GuestBenchHost host, Hearth client, String ip) {
    this.host = host;
    this.client = client;
    this.ip = ip;
  }

  private static String createVm(Hearth client) throws InterruptedException {
    long start = System.nanoTime();
    String ip =
        client
            .vms()
            .create(VmSpec.of(VM, GuestBenchHost.IMAGE).withMemoryMib(512))
            .operation()
            .await()
            .ip();
    System.out.printf(
        Locale.ROOT,
        "guest %s at %s running after %.1f s (untimed for the bench)%n",
        VM,
        ip,
        (System.nanoTime() - start) / 1e9);
    return ip;
  }

  private void run() throws IOException, InterruptedException {
    firstExec();
    for (int i = 0; i < WARMUP; i++) {
      long sshWarm = timed(() -> ssh("true"));
      long clientWarm = timed(() -> clientExec(List.of("true")));
      long cliWarm = timed(() -> cli(List.of("true")));
      System.out.printf(
          Locale.ROOT,
          "warm-up %d (untimed for the bench): ssh %.0f ms, vm.exec %.0f ms, CLI %.0f ms%n",
          i,
          millis(sshWarm),
          millis(clientWarm),
          millis(cliWarm));
    }
    List<Long> viaClient = new ArrayList<>();
    List<Long> viaSsh = new ArrayList<>();
    List<Long> viaCli = new ArrayList<>();
    for (int i = 0; i < LATENCY_RUNS; i++) {
      viaClient.add(timed(() -> clientExec(List.of("true"))));
      viaSsh.add(timed(() -> ssh("true")));
      if (i < CLI_LATENCY_RUNS) {
        viaCli.add(timed(() -> cli(List.of("true"))));
      }
    }
    double client = millis(median(viaClient));
    double plain = millis(median(viaSsh));
    double cli = millis(median(viaCli));
    System.out.printf(
        Locale.ROOT,
        "exec latency (true), median, n=%d / %d / %d:%n",
        viaClient.size(),
        viaSsh.size(),
        viaCli.size());
    System.out.printf(
        Locale.ROOT,
        "  vm.exec via typed client %8.1f ms (p90 %.1f)%n",
        client,
        millis(p90(viaClient)));
    System.out.printf(
        Locale.ROOT,
        "  ssh root@guest true       %8.1f ms (p90 %.1f)%n",
        plain,
        millis(p90(viaSsh)));
    System.out.printf(
        Locale.ROOT, "  bin/hearth vm exec (wall) %8.1f ms (p90 %.1f)%n", cli, millis(p90(viaCli)));
    System.out.printf(
        Locale.ROOT,
        "  ratio typed client / ssh %.2f; CLI / ssh %.2f%n",
        client / plain,
        cli / plain);

    long bytes = THROUGHPUT_MIB * 1024L * 1024L;
    String produce = "head -c " + bytes + " /dev/zero";
    List<Long> outClient = new ArrayList<>();
    List<Long> outSsh = new ArrayList<>();
    List<Long> outCli = new ArrayList<>();
    for (int i = 0; i < THROUGHPUT_RUNS; i++) {
      outClient.add(timed(() -> requireBytes(clientExec(List.of("sh", "-c", produce)), bytes)));
      outSsh.add(timed(() -> requireBytes(ssh(produce), bytes)));
      outCli.add(timed(() -> requireBytes(cli(List.of("sh", "-c", produce)), bytes)));
    }
    double clientRate = mibPerSecond(bytes, median(outClient));
    double sshRate = mibPerSecond(bytes, median(outSsh));
    double cliRate = mibPerSecond(bytes, median(outCli));
    System.out.printf(
        Locale.ROOT,
        "exec throughput (%d MiB of head -c from /dev/zero to the client), median of %d:%n",
        THROUGHPUT_MIB,
        THROUGHPUT_RUNS);
    System.out.printf(
        Locale.ROOT,
        "  vm.exec via typed client %6.2f MiB/s (%.2f s)%n",
        clientRate,
        median(outClient) / 1e9);
    System.out.printf(
        Locale.ROOT,
        "  ssh root@guest head -c    %6.2f MiB/s (%.2f s)%n",
        sshRate,
        median(outSsh) / 1e9);
    System.out.printf(
        Locale.ROOT,
        "  bin/hearth vm exec        %6.2f MiB/s (%.2f s, JVM start included)%n",
        cliRate,
        median(outCli) / 1e9);
    System.out.printf(
        Locale.ROOT,
        "  ratio typed client / ssh %.2f; CLI / ssh %.2f%n",
        clientRate / sshRate,
        cliRate / sshRate);
  }

  /**
   * The first {@code vm.exec} after the VM became ready, retried up to {@value #FIRST_EXEC_TRIES}
   * times with each failure printed: on this host (TCG) it sometimes fails with the daemon's SSH
   * authentication timing out (30 s) while {@code ssh} to the same guest answers in about a second.
   */
  private void firstExec() throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      long start = System.nanoTime();
      try {
        clientExec(List.of("true"));
        System.out.printf(
            Locale.ROOT,
            "first vm.exec (untimed for the bench): %.0f ms%n",
            millis(System.nanoTime() - start));
        return;
      } catch (HearthException e) {
        System.out.printf(
            Locale.ROOT,
            "first vm.exec, attempt %d, failed after %.1f s: %s%n",
            attempt,
            (System.nanoTime() - start) / 1e9,
            e.getMessage());
        if (attempt == FIRST_EXEC_TRIES) {
          throw e;
        }
      }
    }
  }

  /**
   * Runs argv through {@code vm.exec}; returns the stdout bytes counted (the output is dropped).
   */
  private long clientExec(List<String> argv) throws InterruptedException {
    long[] received = new long[1];
    int exit =
        client
            .vms()
            .exec(
                VM,
                ExecSpec.of(argv.toArray(String[]::new)),
                (fd, data) -> {
                  if (fd == 1) {
                    received[0] += data.length;
                  }
                });
    if (exit != 0) {
      throw new IllegalStateException("vm.exec " + argv + " exited " + exit);
    }
    return received[0];
  }

  /** Runs the command with OpenSSH and the daemon's key; returns the stdout bytes counted. */
  private long ssh(String command) throws IOException, InterruptedException {
    Process ssh =
        new ProcessBuilder(
                "ssh",
                "-i",
                host.guestKey().toString(),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "LogLevel=ERROR",
                "root@" + ip,
                command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    long received = drain(ssh.getInputStream());
    int exit = ssh.waitFor();
    if (exit != 0) {
      throw new IllegalStateException("ssh " + command + " exited " + exit);
    }
    return received;
  }

  /** Runs the command through {@code bin/hearth vm exec}; returns the stdout bytes counted. */
  private long cli(List<String> argv) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                host.cli().toString(),
                "--socket",
                host.socket().toString(),
                "vm",
                "exec",
                VM,
                "--"));
    command.addAll(argv);
    Process cli =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    long received = drain(cli.getInputStream());
    int exit = cli.waitFor();
    if (exit != 0) {
      throw new IllegalStateException("bin/hearth vm exec " + argv + " exited " + exit);
    }
    return received;
  }

  private static long drain(InputStream in) throws IOException {
    byte[] buffer = new byte[256 * 1024];
    long total = 0;
    for (int n; (n = in.read(buffer)) >= 0; ) {
      total += n;
    }
    return total;
  }

  private static void requireBytes(long received, long expected) {
    if (received != expected) {
      throw new IllegalStateException("received " + received + " bytes, expected " + expected);
    }
  }

  private interface Work {
    void run() throws IOException, InterruptedException;
  }

  private static long timed(Work work) throws IOException, InterruptedException {
    long start = System.nanoTime();
    work.run();
    return System.nanoTime() - start;
  }

  private static long median(List<Long> values) {
    return sorted(values)[values.size() / 2];
  }

  private static long p90(List<Long> values) {
    return sorted(values)[(int) Math.ceil(values.size() * 0.9) - 1];
  }

  private static long[] sorted(List<Long> values) {
    long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    return sorted;
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static double mibPerSecond(long bytes, long nanos) {
    return bytes / (1024.0 * 1024.0) / (nanos / 1e9);
  }
}

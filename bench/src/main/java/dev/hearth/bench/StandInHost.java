package dev.hearth.bench;

import dev.hearth.core.Command;
import dev.hearth.core.Runner;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.VmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The bench's daemon setup: scratch folders and config, the image, the firecracker stand-in and the
 * sshd config it plays the guest with, and a network namespace of its own for the daemon, so that
 * its bridge, TAPs and NAT table (and the stand-ins' sshd) are apart from the host's and from any
 * other hearth daemon; {@link #close()} kills what is left in the namespace and deletes it, which
 * takes the daemon's bridge, TAPs and NAT table with it.
 */
final class StandInHost implements AutoCloseable {
  /** The bench image: a placeholder kernel and a 64 MiB ext4 root file system. */
  static final String IMAGE = "small";

  private final Path dist;
  private final Path scratch;
  private final Runner runner;
  private final String namespace;

  private StandInHost(Path dist, Path scratch, Runner runner, String namespace) {
    this.dist = dist;
    this.scratch = scratch;
    this.runner = runner;
    this.namespace = namespace;
  }

  static StandInHost prepare(Path dist, Path scratch, Runner runner)
      throws IOException, InterruptedException {
    return prepare(dist, scratch, runner, "hbench");
  }

  /** As {@link #prepare(Path, Path, Runner)}, the namespace's name starting with {@code prefix}. */
  static StandInHost prepare(Path dist, Path scratch, Runner runner, String prefix)
      throws IOException, InterruptedException {
    for (String tool : List.of("/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/setpriv")) {
      if (!Files.isExecutable(Path.of(tool))) {
        throw new IllegalStateException("the bench needs " + tool);
      }
    }
    String namespace = prefix + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    StandInHost host = new StandInHost(dist, scratch, runner, namespace);
    host.writeFiles();
    runner.check(Command.of("ip", "netns", "add", namespace));
    // The guests' addresses are local ones on their TAPs: local traffic needs the loopback up.
    runner.check(Command.of("ip", "-n", namespace, "link", "set", "lo", "up"));
    return host;
  }

  private void writeFiles() throws IOException, InterruptedException {
    Path firecracker = scratch.resolve("bin/firecracker");
    Files.createDirectories(firecracker.getParent());
    try (InputStream in =
        StandInHost.class.getResourceAsStream("/dev/hearth/bench/minimal-firecracker.py")) {
      Files.copy(in, firecracker);
    }
    Files.setPosixFilePermissions(firecracker, PosixFilePermissions.fromString("rwxr-xr-x"));

    Path image = Files.createDirectories(scratch.resolve("state/images").resolve(IMAGE));
    Files.writeString(image.resolve("vmlinux"), "benchmark kernel placeholder\n");
    runner.check(
        Command.of("mkfs.ext4", "-F", "-q", image.resolve("rootfs.ext4").toString(), "64M"));

    Path sshd = Files.createDirectories(scratch.resolve("guest-sshd"));
    Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation folder
    // No host key here: the stand-in gives each sshd the key the daemon wrote into that VM's root
    // disk (`-h`), which the daemon pins.
    Files.write(
        sshd.resolve("sshd_config"),
        List.of(
            "Port 22",
            "AuthorizedKeysFile " + sshd.resolve("authorized_keys"),
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "StrictModes no",
            "UsePAM no",
            // sshd runs commands through root's shell, and bash reads ~/.bashrc for them unless
            // it is a nested shell: this host's root profile is not the guest's.
            "SetEnv SHLVL=1",
            "PidFile none"));

    // Defaults for everything else (bridge, addresses, TAP pool, timeouts, log level): the
    // namespace keeps them apart from the host's.
    Files.writeString(
        config(),
        String.join(
            "\n",
            "state_dir = \"" + scratch.resolve("state") + "\"",
            "runtime_dir = \"" + scratch.resolve("run") + "\"",
            "socket_group = \"\"",
            "firecracker_bin = \"" + firecracker + "\"",
            // dm-snapshot devices are the host's, not the namespace's.
            "disk_provisioner = \"copy\"",
            // 20 creates at once on a small host: the stand-in guests cost no vCPU time.
            "max_total_vcpus = \"1024\"",
            // The stand-in plays the guest too (an address on the TAP, an sshd): root's work.
            "vm_unprivileged = false",
            ""));
  }

  Path config() {
    return scratch.resolve("config.toml");
  }

  Path socket() {
    return scratch.resolve("run/hearth.sock");
  }

  /**
   * {@code bin/hearth daemon --config ...} in the namespace and a session of its own ({@code
   * setsid} and {@code ip netns exec} exec it, so the pid is the daemon JVM's), its output in
   * {@code daemon.log}; waits for its socket.
   */
  Process startDaemon() throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                BenchDaemon.inOwnSession(
                    List.of(
                        "ip",
                        "netns",
                        "exec",
                        namespace,
                        dist.resolve("bin/hearth").toString(),
                        "daemon",
                        "--config",
                        config().toString())))
            .redirectErrorStream(true)
            .redirectOutput(scratch.resolve("daemon.log").toFile());
    builder
        .environment()
        .put("HEARTH_BENCH_GUEST_SSHD", scratch.resolve("guest-sshd/sshd_config").toString());
    Process daemon = builder.start();
    BenchDaemon.awaitSocket(daemon, socket(), scratch.resolve("daemon.log"));
    return daemon;
  }

  /** The guest's authorized key: the daemon's public key, made on its first start. */
  void trustDaemonKey() throws InterruptedException {
    Path key = scratch.resolve("state/ssh/id_ed25519");
    String publicKey = runner.check(Command.of("ssh-keygen", "-y", "-f", key.toString())).stdout();
    try {
      Files.writeString(scratch.resolve("guest-sshd/authorized_keys"), publicKey);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code vm.create} of the bench image, then its operation's await ({@code op.watch} to the end,
   * then {@code vm.show}); a failed create throws the operation's failure.
   */
  static void create(Hearth hearth, String name) throws InterruptedException {
    hearth.vms().create(VmSpec.of(name, IMAGE)).operation().await();
  }

  static void delete(Hearth hearth, String name) throws InterruptedException {
    hearth.vms().delete(name, true);
  }

  @Override
  public void close() throws InterruptedException {
    // Stand-ins of VMs that a failure left behind, and their sshd.
    String pids = runner.check(Command.of("ip", "netns", "pids", namespace)).stdout().strip();
    if (!pids.isEmpty()) {
      List<String> kill = new ArrayList<>(List.of("kill", "-KILL"));
      kill.addAll(List.of(pids.split("\\s+")));
      runner.run(Command.of(kill));
    }
    runner.check(Command.of("ip", "netns", "del", namespace));
  }
}

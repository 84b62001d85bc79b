package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.BuildInfo;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The training run for the distribution's class-data-sharing archive: the build runs it with {@code
 * -XX:DumpLoadedClassList} to make {@code lib/hearth.classlist}, from which the launcher dumps
 * {@code lib/hearth.jsa} (ARCHITECTURE.md, "CLI and distribution"). It runs typical short commands
 * in this JVM, as {@link Main} would, against a stand-in for the daemon's socket that answers
 * {@code daemon.version} and {@code vm.list} (and refuses anything else), so that the list holds
 * the classes of a real round trip without a daemon in the build. The answers are as long and as
 * full as a real daemon's: a class the archive lacks costs a command a search through the jars of
 * lib/ (about 20 ms), and a short string or an empty list would not reach the parser's and the
 * table's paths for the real ones.
 */
final class ClassListTraining {
  /** As long as the reason a daemon gives for its choice of VMM. */
  private static final String VMM_REASON =
      "no executable 'firecracker' on PATH (looked in /usr/local/sbin, /usr/local/bin, /usr/sbin,"
          + " /usr/bin, /sbin, /bin) and /dev/kvm cannot run the guest's kernel, so VMs run under"
          + " QEMU with software emulation through /opt/hearth/bin/hearth-qemu-firecracker";

  /** A running and a stopped VM, with every field a list shows. */
  private static final List<Vm> VMS =
      List.of(
          new Vm(
              "3f2a9c0d1e4b5a69",
              "training-running",
              VmState.RUNNING,
              "10.77.0.2",
              "06:00:0a:4d:00:02",
              "htap0",
              "base",
              2,
              2048,
              10_737_418_240L,
              "copy",
              Instant.parse("2026-12-05T01:02:03.456Z"),
              OptionalLong.of(4242),
              Optional.of("qemu"),
              Optional.empty()),
          new Vm(
              "7c1d0e2f3a4b5c6d",
              "training-stopped",
              VmState.STOPPED,
              "10.77.0.3",
              "06:00:0a:4d:00:03",
              "htap1",
              "base",
              1,
              512,
              2_147_483_648L,
              "copy",
              Instant.parse("2026-12-04T23:59:59Z"),
              OptionalLong.empty(),
              Optional.empty(),
              Optional.of("the VMM exited with status 1 before the guest answered over SSH")));

  private ClassListTraining() {}

  public static void main(String[] args) throws Exception {
    Main.avoidClassPathSearches();
    Main.prepareSocketsMeanwhile();
    Path dir = Files.createTempDirectory("hearth-training");
    Path socket = dir.resolve("hearth.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread daemon = new Thread(() -> serve(server), "training-daemon");
      daemon.setDaemon(true);
      daemon.start();
      String s = socket.toString();
      Map<List<String>, Integer> commands = new LinkedHashMap<>();
      commands.put(List.of("--socket", s, "version"), 0);
      commands.put(List.of("--socket", s, "--json", "version"), 0);
      commands.put(List.of("--socket", s, "vm", "list"), 0);
      commands.put(List.of("--socket", s, "vm", "list", "--json"), 0);
      commands.put(List.of("--socket", s, "rpc", "daemon.ping"), 1);
      commands.put(List.of("--socket", dir.resolve("none.sock").toString(), "version"), 1);
      commands.put(List.of("--help"), 0);
      commands.put(List.of("vm", "create", "--help"), 0);
      Environment env = Main.environment();
      PrintWriter discard = new PrintWriter(OutputStream.nullOutputStream());
      for (Map.Entry<List<String>, Integer> command : commands.entrySet()) {
        String[] argv = command.getKey().toArray(String[]::new);
        int code = Main.commandLine(env, discard, discard, argv).execute(argv);
        if (code != command.getValue()) {
          // The stand-in no longer answers as the command expects: the list would miss classes.
          throw new IllegalStateException(
              "training: hearth "
                  + String.join(" ", argv)
                  + " exited "
                  + code
                  + ", not "
                  + command.getValue());
        }
      }
    } finally {
      Files.deleteIfExists(socket);
      Files.delete(dir);
    }
  }

  /** Answers requests line by line, one connection after another, until the socket closes. */
  private static void serve(ServerSocketChannel server) {
    while (server.isOpen()) {
      try (SocketChannel peer = server.accept()) {
        OutputStream out = Channels.newOutputStream(peer);
        for (byte[] line = readLine(peer); line != null; line = readLine(peer)) {
          out.write(answer(Json.parse(new String(line, StandardCharsets.UTF_8))));
        }
      } catch (IOException e) {
        if (server.isOpen()) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  private static byte[] answer(JsonNode request) {
    ObjectNode reply = Json.object().put("jsonrpc", "2.0");
    reply.set("id", request.get("id"));
    switch (request.path("method").asText()) {
      case "daemon.version" ->
          reply
              .putObject("result")
              .put("version", BuildInfo.version())
              .put("protocol_version", Hearth.PROTOCOL_VERSION)
              .put("java_version", Runtime.version().toString())
              .put("pid", ProcessHandle.current().pid())
              .putObject("vmm")
              .put("kind", "qemu")
              .put("path", "/opt/hearth/bin/hearth-qemu-firecracker")
              .put("reason", VMM_REASON);
      case "vm.list" -> reply.set("result", Json.node(HearthJson.vmList(VMS)));
      default -> reply.putObject("error").put("code", -32601).put("message", "not in the training");
    }
    return (Json.render(reply, false) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The next line without its newline; null at the end of the stream. */
  private static byte[] readLine(SocketChannel peer) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (peer.read(one.clear()) > 0) {
      if (one.get(0) == '\n') {
        return line.toByteArray();
      }
      line.write(one.get(0));
    }
    return null;
  }
}

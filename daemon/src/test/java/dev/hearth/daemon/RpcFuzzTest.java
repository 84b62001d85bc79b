package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.Wire;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.session.GuestTarget;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzzer of the daemon's socket (ARCHITECTURE.md, "RPC fuzzer"): a real daemon with the
 * fake firecracker, the file-backed host network and a guest route that refuses at once gets
 * {@value #DEFAULT_FRAMES} frames: every method of {@link DaemonSocket#methods} with random and
 * hostile params, envelopes of the wrong shape, bad JSON, invalid UTF-8, lines over the limit,
 * batches, empty lines, deep nesting, and stream input out of order. Each frame is followed by a
 * {@code daemon.ping} on the same connection: the daemon must answer it (every line it writes being
 * JSON-RPC) or close the connection. Every {@value #PING_EVERY} frames a fresh client pings, and at
 * the end the heap the daemon's JVM uses after a GC has grown by less than {@value
 * #HEAP_GROWTH_MIB} MiB.
 *
 * <p>Replay: {@code -Dhearth.fuzz.seed=<seed>} (the seed is printed, and named in every failure),
 * {@code -Dhearth.fuzz.frames=<n>}, {@code -Dhearth.fuzz.seconds=<budget>}.
 */
class RpcFuzzTest {
  static final long DEFAULT_SEED = 0x17_5EEDL;
  static final int DEFAULT_FRAMES = 2000;
  static final int DEFAULT_SECONDS = 240;
  static final int PING_EVERY = 50;
  static final int HEAP_GROWTH_MIB = 96;

  /**
   * How long the ping after a frame that may follow output until cancelled ({@code vm.logs} with
   * {@code follow}, say) may take before the fuzzer disconnects, which cancels it; any other frame
   * gets {@link Await#DEFAULT} (a {@code vm.start} boots a fake firecracker, a JVM).
   */
  static final Duration FOLLOW_WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  @Test
  void theDaemonAnswersOrClosesEveryHostileFrameAndStaysAliveAndSmall() throws Exception {
    long seed = Long.getLong("hearth.fuzz.seed", DEFAULT_SEED);
    int frames = Integer.getInteger("hearth.fuzz.frames", DEFAULT_FRAMES);
    Duration budget =
        Duration.ofSeconds(Integer.getInteger("hearth.fuzz.seconds", DEFAULT_SECONDS));
    System.out.println(
        "RpcFuzzTest: seed " + seed + " (replay with -Dhearth.fuzz.seed=" + seed + ")");
    int refusedPort;
    try (ServerSocket closed = new ServerSocket(0)) {
      refusedPort = closed.getLocalPort(); // free once closed: guest dials are refused at once
    }
    int port = refusedPort;
    try (VmFixture fx = new VmFixture(dir)) {
      fx.start(
          fx.seams()
              .withGuestRoute(vm -> new GuestTarget(vm.name(), "127.0.0.1", port))
              .withImageBuildRunner(new FakeRunner())
              .withHandler("fuzz.echo", RpcFuzzTest::echo));
      assertThat(fx.createAndWait(RpcFuzzer.VM, "").path("state").asText()).isEqualTo("succeeded");
      // fuzz.echo waits for its input's end: only the stream frames, which send one, call it.
      RpcFuzzer fuzzer = new RpcFuzzer(new Random(seed), List.copyOf(DaemonSocket.methods()));
      long heapBefore = heapAfterGc();
      long start = System.nanoTime();
      int sent = 0;
      List<String> internalErrors = new ArrayList<>();
      Map<String, Integer> outcomes = new TreeMap<>();
      RawClient client = RawClient.connect(fx.layout.socket());
      try {
        for (; sent < frames && System.nanoTime() - start < budget.toNanos(); sent++) {
          RpcFuzzer.Frame frame = fuzzer.next();
          String where = "seed " + seed + ", frame " + sent + " (" + frame.describe() + ")";
          if (!exchange(client, frame, sent, where, internalErrors, outcomes)) {
            outcomes.merge("closed", 1, Integer::sum);
            client.close();
            client = RawClient.connect(fx.layout.socket());
          }
          if (sent % PING_EVERY == 0) {
            try (HearthClient fresh = HearthClient.connect(fx.layout.socket())) {
              fresh.ping();
            } catch (RuntimeException e) {
              throw new AssertionError("the daemon stopped answering after " + where, e);
            }
          }
        }
      } finally {
        client.close();
      }
      System.out.println(
          "RpcFuzzTest: "
              + sent
              + " frames in "
              + Duration.ofNanos(System.nanoTime() - start).toSeconds()
              + " s, seed "
              + seed
              + "; replies by code: "
              + outcomes);
      assertThat(internalErrors).as("internal errors (seed %d)", seed).isEmpty();
      long growth = heapAfterGc() - heapBefore;
      assertThat(growth)
          .as("heap growth after GC, seed %d, %d frames", seed, sent)
          .isLessThan(HEAP_GROWTH_MIB * 1024L * 1024L);
      removeEverythingCreated(fx);
      assertThat(fx.network.listTaps()).as("TAPs left by the fuzzer").isEmpty();
      VmAssertions.assertNoFakeProcesses(fx);
    }
  }

  /**
   * Sends the frame and a ping after it; reads until the ping's answer. False when the daemon
   * closed the connection (allowed) or a frame still ran after {@link #FOLLOW_WAIT} (a followed
   * stream: the fuzzer disconnects, which cancels it).
   */
  private static boolean exchange(
      RawClient client,
      RpcFuzzer.Frame frame,
      int index,
      String where,
      List<String> internalErrors,
      Map<String, Integer> outcomes)
      throws IOException {
    String sentinel = "ping-" + index;
    try {
      for (byte[] line : frame.lines()) {
        client.send(line);
      }
      client.sendLine(
          "{\"jsonrpc\":\"2.0\",\"id\":\"" + sentinel + "\",\"method\":\"daemon.ping\"}");
    } catch (IOException e) {
      return false; // the daemon closed the connection while the frame was being sent
    }
    while (true) {
      String line;
      try {
        line = client.readLine(frame.mayRunOn() ? FOLLOW_WAIT : Await.DEFAULT);
      } catch (RawClient.TimedOut e) {
        if (!frame.mayRunOn()) {
          throw new AssertionError(
              "the daemon neither answered nor closed within " + Await.DEFAULT + " after " + where,
              e);
        }
        return false;
      } catch (IOException e) {
        return false; // reset by the daemon
      }
      if (line == null) {
        return false;
      }
      JsonNode reply;
      try {
        reply = RpcFuzzer.JSON.readTree(line);
      } catch (IOException e) {
        throw new AssertionError("the daemon wrote a line that is not JSON after " + where, e);
      }
      assertThat(reply.path("jsonrpc").asText())
          .as("jsonrpc of %s after %s", line, where)
          .isEqualTo("2.0");
      if (reply.has("method")) {
        continue; // a notification (stream output, op progress)
      }
      assertThat(reply.has("result") ^ reply.has("error"))
          .as("result or error in %s after %s", line, where)
          .isTrue();
      String code = reply.has("error") ? reply.path("error").path("code").asText() : "result";
      outcomes.merge(code, 1, Integer::sum);
      if (reply.path("error").path("code").asInt() == -32603) {
        internalErrors.add(where + ": " + Wire.abbreviate(line));
      }
      if (reply.path("id").asText().equals(sentinel)) {
        assertThat(reply.path("result").path("pong").asBoolean())
            .as("the ping after %s: %s", where, line)
            .isTrue();
        return true;
      }
    }
  }

  /** Deletes the VMs and images the fuzz created, so that no fake VM outlives the test. */
  private static void removeEverythingCreated(VmFixture fx) {
    for (JsonNode vm : fx.call("vm.list", "{}").path("vms")) {
      ObjectNode params =
          RpcFuzzer.NODES.objectNode().put("vm", vm.path("id").asText()).put("force", true);
      fx.call("vm.delete", params.toString());
    }
    for (JsonNode image : fx.call("image.list", "{}").path("images")) {
      String name = image.path("name").asText();
      if (!name.equals(VmFixture.IMAGE)) {
        fx.call("image.delete", RpcFuzzer.NODES.objectNode().put("image", name).toString());
      }
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50); // gives a concurrent collector's cycle a chance to finish
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** A stream that copies its input to fd 1, as vm.exec's stdin would reach a guest command. */
  private static JsonNode echo(dev.hearth.daemon.internal.rpc.Params params) {
    RequestStream stream = params.stream();
    stream.onResize((cols, rows) -> {});
    long copied;
    try (InputStream in = stream.input()) {
      copied = in.transferTo(stream.output(1));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return Wire.object().put("copied", copied);
  }
}

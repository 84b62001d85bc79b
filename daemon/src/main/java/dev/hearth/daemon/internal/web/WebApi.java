package dev.hearth.daemon.internal.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.Image;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.Vm;
import dev.hearth.daemon.VmDetails;
import dev.hearth.daemon.Workspace;
import dev.hearth.daemon.internal.rpc.ApiJson;
import dev.hearth.daemon.internal.rpc.DaemonJson;
import dev.hearth.daemon.internal.rpc.SessionJson;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The JSON API's answers, in the shapes of the RPC methods they mirror (the daemon's own codecs),
 * with what a page needs on top: a VM's DNS name, an image's users, console and session output as
 * text. Written with {@code <}, {@code >} and {@code &} escaped, so that no answer reads as markup.
 */
final class WebApi {
  /** Console lines a VM page shows (and follows). */
  static final long CONSOLE_LINES = 200;

  /** Bytes of a session's output a VM page shows: its end. */
  static final int SESSION_TAIL_BYTES = 16 * 1024;

  /**
   * Bytes of a session's output read at most for one answer. Its end is read from the log's start,
   * of which a guest keeps {@code session_log_max_size} (16 MiB unless configured); a guest whose
   * log never ends must not keep a request thread and a core.
   */
  static final long SESSION_READ_BYTES = 32L << 20;

  /** How long reading a session's output may take for one answer (a guest may stall it). */
  static final Duration SESSION_READ_TIME = Duration.ofSeconds(10);

  private static final ObjectMapper JSON = new ObjectMapper(escapingMarkup());

  private final WebSources sources;
  private final WebDeadlines deadlines;
  private final long sessionReadBytes;
  private final Duration sessionReadTime;

  WebApi(WebSources sources, WebDeadlines deadlines) {
    this(sources, deadlines, SESSION_READ_BYTES, SESSION_READ_TIME);
  }

  /** With other bounds on reading a session's output (for tests). */
  WebApi(
      WebSources sources, WebDeadlines deadlines, long sessionReadBytes, Duration sessionReadTime) {
    this.sources = sources;
    this.deadlines = deadlines;
    this.sessionReadBytes = sessionReadBytes;
    this.sessionReadTime = sessionReadTime;
  }

  /** {@code vm.list}'s answer, each VM with its {@code dns_name}. */
  JsonNode vms() {
    ObjectNode result = JSON.createObjectNode();
    ArrayNode list = result.putArray("vms");
    for (Vm vm : sources.vms().list()) {
      list.add(withDnsName(ApiJson.vm(vm), vm));
    }
    return result;
  }

  /** {@code vm.show}'s answer, with {@code dns_name}. */
  JsonNode vm(String ref) {
    VmDetails details = sources.vms().show(ref);
    ObjectNode o = ApiJson.vmDetails(details);
    o.put("dns_name", dnsName(details.vm()));
    return o;
  }

  /** The console's last {@link #CONSOLE_LINES} lines as text: {@code {"vm", "text"}}. */
  JsonNode console(String ref) {
    return JSON.createObjectNode().put("vm", ref).put("text", consoleText(ref));
  }

  String consoleText(String ref) {
    return new String(
        sources.vms().logs(ref, OptionalLong.of(CONSOLE_LINES)), StandardCharsets.UTF_8);
  }

  /** {@code op.list}'s answer. */
  JsonNode ops() {
    return ApiJson.ops(sources.ops().list());
  }

  /** {@code op.show}'s answer. */
  JsonNode op(String ref) {
    return ApiJson.op(sources.ops().show(ref));
  }

  /** {@code image.list}'s answer, each image with {@code used_by} (the VMs made from it). */
  JsonNode images() {
    Map<String, List<String>> users = new HashMap<>();
    for (Vm vm : sources.vms().list()) {
      users.computeIfAbsent(vm.image(), k -> new ArrayList<>()).add(vm.name());
    }
    ObjectNode result = JSON.createObjectNode();
    ArrayNode list = result.putArray("images");
    for (Image image : sources.images().list()) {
      ObjectNode o = ApiJson.image(image);
      ArrayNode usedBy = o.putArray("used_by");
      users.getOrDefault(image.name(), List.of()).forEach(usedBy::add);
      list.add(o);
    }
    return result;
  }

  /** {@code image.show}'s answer. */
  JsonNode image(String name) {
    return ApiJson.imageDetails(sources.images().show(name));
  }

  /** {@code session.list}'s answer for one VM (or every running VM). */
  JsonNode sessions(Optional<String> vm) throws InterruptedException {
    return SessionJson.list(sources.sessions().list(vm));
  }

  /**
   * A session's last {@link #SESSION_TAIL_BYTES} of output as text: {@code {"session", "text"}}. A
   * read that passes {@link #SESSION_READ_BYTES} or {@link #SESSION_READ_TIME} is stopped, and the
   * answer is the end of what was read with {@code truncated} saying why that is not the output's
   * end ({@code session} only when the read had ended by itself).
   */
  JsonNode sessionOutput(String vm, String session) throws InterruptedException {
    Tail tail = new Tail(SESSION_TAIL_BYTES, sessionReadBytes);
    Optional<SessionOutput> output;
    WebDeadlines.Deadline deadline =
        deadlines.arm(sessionReadTime, () -> tail.stop(tooSlow(sessionReadTime)));
    try {
      output = Optional.of(sources.sessions().logs(vm, session, 0, false, tail));
    } catch (InterruptedException | RuntimeException e) {
      // A stopped read ends in whatever its path makes of the stop: an interrupt, a failed write.
      if (tail.stopped().isEmpty()) {
        throw e;
      }
      output = Optional.empty();
    } finally {
      deadline.close();
    }
    ObjectNode o = JSON.createObjectNode();
    output.ifPresent(out -> o.set("session", SessionJson.session(out.session())));
    o.put("text", tail.text());
    tail.stopped().ifPresent(why -> o.put("truncated", why));
    return o;
  }

  private static String tooSlow(Duration time) {
    return "reading the output took more than "
        + time.toSeconds()
        + " s, the most the web UI waits: this is not its end; hearth session logs shows it all";
  }

  private static String tooLong(long bytes) {
    return "the output passed "
        + (bytes >> 20)
        + " MiB, the most the web UI reads: this is not its end; hearth session logs shows it all";
  }

  /** {@code workspace.list}'s answer: {@code {"workspaces": [...]}}. */
  JsonNode workspaces(String vm) throws InterruptedException {
    ObjectNode result = JSON.createObjectNode();
    ArrayNode list = result.putArray("workspaces");
    for (Workspace w : sources.workspaces().list(vm)) {
      list.addObject()
          .put("vm", w.vm())
          .put("name", w.name())
          .put("guest_path", w.guestPath())
          .put("host_path", w.hostPath().toString())
          .put("branch", w.branch())
          .put("base_commit", w.baseCommit())
          .put("imported_at", w.importedAt().toString());
    }
    return result;
  }

  /** {@code daemon.doctor}'s answer. */
  JsonNode doctor() {
    return DaemonJson.toJson(sources.doctor().get());
  }

  static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  private ObjectNode withDnsName(ObjectNode o, Vm vm) {
    return o.put("dns_name", dnsName(vm));
  }

  private String dnsName(Vm vm) {
    return vm.name() + "." + sources.dnsDomain();
  }

  private static JsonFactory escapingMarkup() {
    JsonFactory factory = new JsonFactory();
    int[] escapes = CharacterEscapes.standardAsciiEscapesForJSON();
    for (char c : new char[] {'<', '>', '&'}) {
      escapes[c] = CharacterEscapes.ESCAPE_STANDARD;
    }
    int[] table = Arrays.copyOf(escapes, escapes.length);
    factory.setCharacterEscapes(
        new CharacterEscapes() {
          @Override
          public int[] getEscapeCodesForAscii() {
            return table;
          }

          @Override
          public SerializableString getEscapeSequence(int ch) {
            return null;
          }
        });
    return factory;
  }

  /**
   * Keeps the last bytes of the output (the rest is dropped as it comes); once stopped, or past its
   * bound, it refuses what more comes, which ends the read.
   */
  private static final class Tail implements OutputSink {
    private final byte[] ring;
    private final long maxBytes;
    private long written;
    private Optional<String> stopped = Optional.empty();

    Tail(int size, long maxBytes) {
      this.ring = new byte[size];
      this.maxBytes = maxBytes;
    }

    @Override
    public synchronized void output(int fd, byte[] bytes) {
      if (stopped.isEmpty() && written + bytes.length > maxBytes) {
        stopped = Optional.of(tooLong(maxBytes));
      }
      if (stopped.isPresent()) {
        throw new ReadStopped(stopped.get());
      }
      for (int from = Math.max(0, bytes.length - ring.length); from < bytes.length; ) {
        int at = (int) ((written + from) % ring.length);
        int n = Math.min(bytes.length - from, ring.length - at);
        System.arraycopy(bytes, from, ring, at, n);
        from += n;
      }
      written += bytes.length;
    }

    synchronized void stop(String why) {
      if (stopped.isEmpty()) {
        stopped = Optional.of(why);
      }
    }

    synchronized Optional<String> stopped() {
      return stopped;
    }

    synchronized String text() {
      int size = (int) Math.min(written, ring.length);
      byte[] out = new byte[size];
      int start = (int) ((written - size) % ring.length);
      for (int i = 0; i < size; i++) {
        out[i] = ring[(start + i) % ring.length];
      }
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  /** What a stopped {@link Tail} throws at the output that still comes. */
  private static final class ReadStopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ReadStopped(String why) {
      super(why);
    }
  }
}

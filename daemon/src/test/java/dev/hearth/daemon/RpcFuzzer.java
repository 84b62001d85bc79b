package dev.hearth.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Wire;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Makes fuzz frames for the daemon's socket from one seeded Random, so that a seed replays the same
 * frames.
 */
final class RpcFuzzer {
  /** One unit of fuzz: the lines sent (each with its newline), and what it is, for a failure. */
  record Frame(String kind, List<byte[]> lines, boolean mayRunOn) {
    String describe() {
      String first = lines.isEmpty() ? "" : new String(lines.get(0), StandardCharsets.UTF_8);
      int bytes = lines.stream().mapToInt(l -> l.length).sum();
      return kind + ", " + bytes + " bytes: " + Wire.abbreviate(first.strip());
    }
  }

  static final ObjectMapper JSON = new ObjectMapper();
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** The VM the fuzzed requests name most often (the test creates it). */
  static final String VM = "fz";

  private static final List<String> KEYS =
      List.of(
          "vm",
          "name",
          "image",
          "op",
          "force",
          "timeout_seconds",
          "stream",
          "data",
          "eof",
          "resize",
          "argv",
          "path",
          "session",
          "cols",
          "rows",
          "disk_size",
          "vcpus",
          "memory_mib",
          "no_start",
          "env",
          "cwd",
          "follow",
          "tail",
          "head",
          "from",
          "signal",
          "tty",
          "term",
          "direction",
          "size",
          "copy",
          "boot_args",
          "rootfs",
          "packages",
          "run_script",
          "extract_kernel",
          "host_path",
          "branch",
          "include_uncommitted",
          "record",
          "fd");
  private static final List<String> HOSTILE_STRINGS =
      List.of(
          "",
          " ",
          VM,
          "fz-b",
          VmFixture.IMAGE,
          "../../../etc/passwd",
          "..",
          "/",
          "a/../../b",
          "line\nbreak",
          "cr\r\nlf",
          "nul\u0000byte",
          "tab\tand\u001b[31mescape",
          "żółw 🐢 العربية \u202e",
          "\ud83d",
          "$(reboot)",
          "`id`; rm -rf /",
          "%s%n%x",
          "-rf",
          "--help",
          "0",
          "-1",
          "true",
          "null",
          "crash-fz\u2028x");

  private final Random random;
  private final List<String> methods;
  private int ids;

  RpcFuzzer(Random random, List<String> methods) {
    this.random = random;
    this.methods = methods;
  }

  Frame next() throws IOException {
    int dice = random.nextInt(100);
    if (dice < 50) {
      return call();
    } else if (dice < 60) {
      return envelope();
    } else if (dice < 70) {
      return malformed();
    } else if (dice < 72) {
      return tooLong();
    } else if (dice < 77) {
      return batch();
    } else if (dice < 82) {
      return deep();
    } else {
      return stream();
    }
  }

  private Frame call() throws IOException {
    String method = pick(methods);
    ObjectNode params = params();
    ObjectNode request = request(method, params);
    boolean follows = params.path("follow").asBoolean(false) || method.equals("op.watch");
    return new Frame("call " + method, List.of(line(request)), follows || streams(method));
  }

  /** Methods that stream and may wait on their input or follow output until cancelled. */
  private static boolean streams(String method) {
    return Set.of("session.attach", "session.wait", "session.logs", "vm.logs", "op.watch")
        .contains(method);
  }

  private Frame envelope() throws IOException {
    ObjectNode request = request(pick(methods), params());
    switch (random.nextInt(8)) {
      case 0 -> request.remove("jsonrpc");
      case 1 -> request.put("jsonrpc", "1.0");
      case 2 -> request.set("id", value(2));
      case 3 -> request.set("method", value(1));
      case 4 -> request.set("params", NODES.arrayNode().add(1).add("x"));
      case 5 -> request.put("params", hostileString());
      case 6 -> request.put(hostileString(), hostileString());
      default -> request.remove("method");
    }
    return new Frame("envelope", List.of(line(request)), false);
  }

  private Frame malformed() throws IOException {
    byte[] valid = JSON.writeValueAsBytes(request(pick(methods), params()));
    byte[] bytes;
    switch (random.nextInt(7)) {
      case 0 -> bytes = Arrays.copyOf(valid, random.nextInt(valid.length));
      case 1 -> {
        bytes = new byte[1 + random.nextInt(300)];
        random.nextBytes(bytes);
      }
      case 2 -> {
        // Invalid UTF-8 inside a string value: a lone continuation byte, an overlong form, 0xFF.
        String text =
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.show\",\"params\":{\"vm\":\"X\"}}";
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        int at = text.indexOf('X');
        byte[][] bad = {
          {(byte) 0x80},
          {(byte) 0xC0, (byte) 0xAF},
          {(byte) 0xFF},
          {(byte) 0xED, (byte) 0xA0, (byte) 0x80}
        };
        byte[] b = bad[random.nextInt(bad.length)];
        bytes = new byte[raw.length - 1 + b.length];
        System.arraycopy(raw, 0, bytes, 0, at);
        System.arraycopy(b, 0, bytes, at, b.length);
        System.arraycopy(raw, at + 1, bytes, at + b.length, raw.length - at - 1);
      }
      case 3 -> bytes = new byte[0]; // an empty line
      case 4 -> bytes = " \t \r".getBytes(StandardCharsets.US_ASCII);
      case 5 -> {
        bytes = valid.clone();
        bytes[random.nextInt(bytes.length)] = 0; // a NUL byte anywhere
      }
      default ->
          bytes =
              (new String(valid, StandardCharsets.UTF_8) + " trailing garbage ]")
                  .getBytes(StandardCharsets.UTF_8);
    }
    return new Frame("malformed", List.of(withNewline(bytes)), false);
  }

  private Frame tooLong() {
    int size = 2 * 1024 * 1024 + random.nextInt(1024);
    byte[] bytes = new byte[size + 1];
    String head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.show\",\"params\":{\"vm\":\"";
    byte[] h = head.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(h, 0, bytes, 0, h.length);
    Arrays.fill(bytes, h.length, size, (byte) 'a');
    bytes[size] = '\n';
    return new Frame("2 MiB line", List.of(bytes), false);
  }

  private Frame batch() throws IOException {
    ArrayNode batch = NODES.arrayNode();
    int n = random.nextInt(5);
    for (int i = 0; i < n; i++) {
      batch.add(request(pick(methods), params()));
    }
    return new Frame("batch of " + n, List.of(line(batch)), false);
  }

  private Frame deep() {
    int depth = 100 + random.nextInt(20_000);
    StringBuilder b = new StringBuilder("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"");
    b.append(pick(methods)).append("\",\"params\":{\"vm\":");
    boolean arrays = random.nextBoolean();
    b.append((arrays ? "[" : "{\"a\":").repeat(depth)).append("1");
    b.append((arrays ? "]" : "}").repeat(depth)).append("}}");
    return new Frame(
        "nesting " + depth,
        List.of(withNewline(b.toString().getBytes(StandardCharsets.UTF_8))),
        false);
  }

  /**
   * Stream input out of order around a stream request: input before the request and for other
   * streams, input with an id, malformed data, resizes and EOFs, then always a proper EOF (which
   * ends the stream if it runs) and input after the result.
   */
  private Frame stream() throws IOException {
    String method =
        random.nextInt(3) == 0
            ? "fuzz.echo"
            : pick(List.of("vm.exec", "vm.shell", "session.attach", "vm.copy", "fuzz.echo"));
    long id = ++ids;
    ObjectNode params = method.equals("fuzz.echo") ? NODES.objectNode() : params();
    if (!method.equals("fuzz.echo")) {
      params.put("vm", VM);
    }
    List<byte[]> lines = new ArrayList<>();
    lines.add(line(input(id, random.nextInt(4))));
    lines.add(line(input(id + 1_000_000, random.nextInt(4))));
    lines.add(line(request(method, params).put("id", id)));
    int junk = random.nextInt(6);
    for (int i = 0; i < junk; i++) {
      ObjectNode in = input(random.nextInt(4) == 0 ? id + 1 : id, random.nextInt(6));
      if (random.nextInt(5) == 0) {
        in.put("id", 99); // input sent as a request: refused with an error
      }
      lines.add(line(in));
    }
    lines.add(line(input(id, 1)));
    lines.add(line(input(id, random.nextInt(4))));
    return new Frame("stream " + method, lines, false);
  }

  /** A session.write notification; {@code kind} 0 data, 1 eof, 2 resize, 3+ hostile. */
  private ObjectNode input(long stream, int kind) {
    ObjectNode params = NODES.objectNode().put("stream", stream);
    switch (kind) {
      case 0 ->
          params.put(
              "data",
              Base64.getEncoder().encodeToString(hostileString().getBytes(StandardCharsets.UTF_8)));
      case 1 -> params.put("eof", true);
      case 2 ->
          params.set(
              "resize",
              NODES.objectNode().put("cols", random.nextInt(500)).put("rows", random.nextInt(500)));
      case 3 -> params.put("data", "not base64 !!");
      case 4 -> params.set("resize", value(2));
      default -> params.set(pick(List.of("data", "eof", "resize")), value(2));
    }
    return NODES
        .objectNode()
        .put("jsonrpc", "2.0")
        .put("method", "session.write")
        .set("params", params);
  }

  private ObjectNode request(String method, ObjectNode params) {
    ObjectNode request =
        NODES.objectNode().put("jsonrpc", "2.0").put("id", ++ids).put("method", method);
    if (random.nextInt(10) != 0) {
      request.set("params", params);
    }
    return request;
  }

  private ObjectNode params() {
    ObjectNode params = NODES.objectNode();
    int n = random.nextInt(6);
    for (int i = 0; i < n; i++) {
      String key = random.nextInt(8) == 0 ? hostileString() : pick(KEYS);
      params.set(key, value(3));
    }
    return params;
  }

  private JsonNode value(int depth) {
    int kind = random.nextInt(depth > 0 ? 12 : 9);
    return switch (kind) {
      case 0, 1, 2 -> NODES.textNode(hostileString());
      case 3 ->
          NODES.numberNode(
              pick(List.of(-1L, 0L, 1L, 2L, Long.MAX_VALUE, Long.MIN_VALUE, 4096L, 1L << 40)));
      case 4 -> NODES.numberNode(pick(List.of(-0.5, 1e308, 3.5, Double.MIN_VALUE)));
      case 5 -> NODES.numberNode(new java.math.BigInteger("123456789012345678901234567890"));
      case 6 -> NODES.booleanNode(random.nextBoolean());
      case 7 -> NODES.nullNode();
      case 8 -> NODES.textNode("x".repeat(random.nextInt(100_000)));
      case 9 -> {
        ArrayNode a = NODES.arrayNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          a.add(value(depth - 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = NODES.objectNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          o.set(pick(KEYS), value(depth - 1));
        }
        yield o;
      }
    };
  }

  private String hostileString() {
    return pick(HOSTILE_STRINGS);
  }

  private <T> T pick(List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  private static byte[] line(JsonNode node) throws IOException {
    return withNewline(JSON.writeValueAsBytes(node));
  }

  private static byte[] withNewline(byte[] bytes) {
    byte[] line = Arrays.copyOf(bytes, bytes.length + 1);
    line[bytes.length] = '\n';
    return line;
  }
}

package dev.hearth.fcproc.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A stand-in for the firecracker binary that serves the API on {@code --api-sock} and answers as
 * Firecracker v1.16.1 does, errors included: every request is checked against the real spec ({@link
 * FirecrackerSpec}), pre-boot resources are refused after {@code InstanceStart}, {@code
 * InstanceStart} needs a boot source, files named in requests must exist. Success is 204 (200 with
 * JSON for GETs), every error 400 with {@code fault_message}. Every request is recorded in {@code
 * <api-sock>.requests} ({@link RecordedRequest}). After {@code InstanceStart} it prints a boot line
 * to stdout (the serial console) and stays up until killed or sent {@code SendCtrlAltDel}, on which
 * it removes its socket and exits 0.
 *
 * <p>With {@link #GUEST_SSH_PROPERTY} it also emulates the guest's SSH server ({@link
 * FakeGuestSsh}), so that a daemon with the real guest seams can finish a create.
 *
 * <p>Run it as a binary through {@link FakeFirecrackerScript}; tests that need no process can run
 * it in-process with {@link #start()}.
 */
public final class FakeFirecracker implements Closeable {
  public static final String VERSION = "1.16.1";
  public static final String VERSION_LINE = "Firecracker v" + VERSION;

  /** Printed to the console on InstanceStart. */
  public static final String BOOT_LINE =
      "[    0.000000] Linux version 6.1.0-hearth-fake: fake guest booting";

  /** Printed to the console on SendCtrlAltDel, before the exit. */
  public static final String SHUTDOWN_LINE = "reboot: Restarting system";

  /** System property: bytes of extra console output after the boot line, to test the log cap. */
  public static final String CONSOLE_NOISE_PROPERTY = "hearth.fake.consoleNoiseBytes";

  /**
   * When "true", SendCtrlAltDel is answered but the guest stays up, as a guest without an i8042
   * handler does; it then goes down only when killed or sent SIGTERM (standing in for a poweroff).
   */
  public static final String IGNORE_CTRL_ALT_DEL_PROPERTY = "hearth.fake.ignoreCtrlAltDel";

  /**
   * When "true" (root only), the guest answers SSH: after InstanceStart the guest IP of the boot
   * args' {@code ip=} becomes a local address on the network interface's TAP, with an SSH server on
   * port 22 (see {@link FakeGuestSsh}); its {@code poweroff} shuts the fake down as SendCtrlAltDel
   * does. If that cannot be set up, the fake says why on the console and exits 1.
   */
  public static final String GUEST_SSH_PROPERTY = "hearth.fake.guestSsh";

  /** Printed to the console, with the reason, when the guest emulation cannot be set up. */
  public static final String GUEST_FAILURE_PREFIX = "hearth fake guest: cannot emulate the guest: ";

  static final int MAX_PAYLOAD = 51200;
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FirecrackerSpec spec;
  private final Path apiSocket;
  private final String instanceId;
  private final PrintStream console;
  private final long noiseBytes;
  private final Runnable onShutdown;
  private final Path requestLog;

  private AFUNIXServerSocket server;
  private Thread acceptor;

  /** The guest's console output, written apart so that InstanceStart answers at once. */
  private Thread guest;

  // Guarded by this.
  private String state = "Not started";
  private volatile boolean ignoreCtrlAltDel;
  private boolean bootSourceSet;
  private boolean metricsSet;
  private String bootArgs = "";
  private String tap;

  /** Set when the guest emulation is on; see {@link #emulateGuest}. */
  private volatile Runner guestRunner;

  private volatile Runnable onGuestFailure;

  // Guarded by guestLock: the emulated guest, and whether the fake is closing.
  private final Object guestLock = new Object();
  private FakeGuestSsh guestSsh;
  private boolean closing;
  private final Map<String, JsonNode> machineConfig = new HashMap<>();

  /**
   * @param console where the guest's serial output goes (stdout for the binary)
   * @param onShutdown run after the answer to SendCtrlAltDel has been written and the socket closed
   */
  public FakeFirecracker(
      FirecrackerSpec spec,
      Path apiSocket,
      String instanceId,
      PrintStream console,
      long noiseBytes,
      Runnable onShutdown) {
    this.spec = spec;
    this.apiSocket = apiSocket;
    this.instanceId = instanceId;
    this.console = console;
    this.noiseBytes = noiseBytes;
    this.onShutdown = onShutdown;
    this.requestLog = RecordedRequest.logFor(apiSocket);
    machineConfig.put("vcpu_count", JSON.getNodeFactory().numberNode(1));
    machineConfig.put("mem_size_mib", JSON.getNodeFactory().numberNode(128));
    machineConfig.put("smt", JSON.getNodeFactory().booleanNode(false));
    machineConfig.put("track_dirty_pages", JSON.getNodeFactory().booleanNode(false));
  }

  public static void main(String[] args) {
    Path socket = null;
    String id = "anonymous-instance";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--version" -> {
          System.out.println(VERSION_LINE);
          System.exit(0);
        }
        case "--api-sock" -> socket = Path.of(value(args, ++i));
        case "--id" -> id = value(args, ++i);
        default ->
            fail(
                "Arguments parsing error: Found argument '" + args[i] + "' which wasn't expected.");
      }
    }
    if (socket == null) {
      fail("Arguments parsing error: the fake firecracker needs --api-sock <path>.");
    }
    if (!INSTANCE_ID.matcher(id).matches()) {
      fail("Invalid instance ID: " + id + " (1 to 64 letters, digits and '-').");
    }
    FirecrackerSpec spec;
    try {
      spec = FirecrackerSpec.load();
    } catch (RuntimeException e) {
      fail("fake firecracker: " + e.getMessage());
      return;
    }
    long noise = Long.getLong(CONSOLE_NOISE_PROPERTY, 0L);
    Path sock = socket;
    FakeFirecracker fake =
        new FakeFirecracker(
            spec,
            sock,
            id,
            System.out,
            noise,
            () -> {
              System.out.flush();
              System.exit(0);
            });
    fake.ignoreCtrlAltDel(Boolean.getBoolean(IGNORE_CTRL_ALT_DEL_PROPERTY));
    if (Boolean.getBoolean(GUEST_SSH_PROPERTY)) {
      Posix posix = Posix.system();
      if (posix.geteuid() != 0) {
        fail(GUEST_FAILURE_PREFIX + GUEST_SSH_PROPERTY + " needs root (to add the guest address).");
      }
      fake.emulateGuest(
          new ProcessRunner(posix, Clock.system()),
          () -> {
            System.out.flush();
            System.exit(1);
          });
      // SIGTERM and every exit path take the guest's address and SSH server down.
      Runtime.getRuntime().addShutdownHook(new Thread(fake::stopGuest, "fake-guest-stop"));
    }
    try {
      fake.start();
    } catch (FileAlreadyExistsException e) {
      fail("Failed to open the API socket at: " + sock + ". Check that it is not already used.");
    } catch (IOException e) {
      fail("Failed to bind the API socket at " + sock + ": " + e.getMessage());
    }
    System.out.println("Running Firecracker v" + VERSION + " (hearth fake, id " + id + ")");
    System.out.flush();
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      fail("Arguments parsing error: " + args[i - 1] + " needs a value.");
    }
    return args[i];
  }

  private static void fail(String message) {
    System.err.println(message);
    System.exit(1);
  }

  /**
   * Binds the API socket and serves it on a (non-daemon) thread.
   *
   * @throws FileAlreadyExistsException when the socket path exists, as with the real firecracker
   */
  public void start() throws IOException {
    if (Files.exists(apiSocket, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(apiSocket.toString());
    }
    server = AFUNIXServerSocket.newInstance();
    server.bind(AFUNIXSocketAddress.of(apiSocket));
    acceptor = new Thread(this::acceptLoop, "fake-firecracker-" + instanceId);
    acceptor.start();
  }

  public Path apiSocket() {
    return apiSocket;
  }

  /**
   * Turns the guest emulation on (see {@link #GUEST_SSH_PROPERTY}).
   *
   * @param runner runs the {@code ip} commands
   * @param onFailure run after the reason was printed, when the guest cannot be set up
   */
  public void emulateGuest(Runner runner, Runnable onFailure) {
    this.onGuestFailure = onFailure;
    this.guestRunner = runner;
  }

  /** Stops the emulated guest, if any, and keeps it from starting. */
  public void stopGuest() {
    synchronized (guestLock) {
      closing = true;
      if (guestSsh != null) {
        guestSsh.close();
      }
    }
  }

  /** Stops serving, stops the emulated guest and removes the socket. */
  @Override
  public void close() {
    stopGuest();
    try {
      if (server != null) {
        server.close();
      }
      Files.deleteIfExists(apiSocket);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket connection;
      try {
        connection = server.accept();
      } catch (IOException e) {
        return;
      }
      Thread t = new Thread(() -> serve(connection), "fake-firecracker-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  record Response(int status, String body, boolean shutdownAfter) {
    static Response noContent() {
      return new Response(204, "", false);
    }

    static Response json(JsonNode body) {
      return new Response(200, body.toString(), false);
    }

    static Response fault(String message) {
      ObjectNode o = JSON.createObjectNode();
      o.put("fault_message", message);
      return new Response(400, o.toString(), false);
    }
  }

  private void serve(Socket connection) {
    try (connection) {
      InputStream in = new BufferedInputStream(connection.getInputStream());
      OutputStream out = new BufferedOutputStream(connection.getOutputStream());
      while (true) {
        String requestLine = readLine(in);
        if (requestLine == null) {
          return;
        }
        if (requestLine.isEmpty()) {
          continue;
        }
        Response response = readAndHandle(requestLine, in);
        writeResponse(out, response);
        if (response.shutdownAfter()) {
          shutDown();
          return;
        }
      }
    } catch (IOException e) {
      // The client went away; nothing to answer.
    }
  }

  private Response readAndHandle(String requestLine, InputStream in) throws IOException {
    String[] parts = requestLine.split(" ");
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
      return Response.fault("Invalid HTTP request line: " + requestLine);
    }
    long length = 0;
    boolean chunked = false;
    String line;
    while ((line = readLine(in)) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        return Response.fault("Invalid HTTP header: " + line);
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        chunked = true;
      }
    }
    if (chunked) {
      return Response.fault("Transfer-Encoding is not supported.");
    }
    if (length > MAX_PAYLOAD) {
      return Response.fault(
          "Request payload with size "
              + length
              + " is larger than the limit of "
              + MAX_PAYLOAD
              + " allowed by server.");
    }
    byte[] body = in.readNBytes((int) length);
    return handle(parts[0], parts[1], new String(body, StandardCharsets.UTF_8));
  }

  /** Answers one request and records it. */
  synchronized Response handle(String method, String path, String body) {
    Response response = dispatch(method, path, body);
    record(method, path, body, response.status());
    return response;
  }

  private Response dispatch(String method, String path, String body) {
    Optional<FirecrackerSpec.Endpoint> found = spec.endpoint(method, path);
    Optional<String> fault = spec.validate(method, path, body);
    if (fault.isPresent()) {
      return Response.fault(fault.get());
    }
    FirecrackerSpec.Endpoint endpoint = found.orElseThrow();
    boolean booted = !state.equals("Not started");
    if (booted && endpoint.preBootOnly()) {
      return Response.fault("The requested operation is not supported after starting the microVM.");
    }
    if (!booted && endpoint.postBootOnly()) {
      return Response.fault(
          "The requested operation is not supported before starting the microVM.");
    }
    JsonNode json = parse(body);
    String op = method + " " + endpoint.template();
    switch (op) {
      case "GET /":
        {
          ObjectNode info = JSON.createObjectNode();
          info.put("id", instanceId);
          info.put("state", state);
          info.put("vmm_version", VERSION);
          info.put("app_name", "Firecracker");
          return Response.json(info);
        }
      case "GET /version":
        {
          ObjectNode v = JSON.createObjectNode();
          v.put("firecracker_version", VERSION);
          return Response.json(v);
        }
      case "GET /machine-config":
        return Response.json(JSON.createObjectNode().setAll(machineConfig));
      case "PUT /machine-config":
        machineConfig.put("vcpu_count", json.get("vcpu_count"));
        machineConfig.put("mem_size_mib", json.get("mem_size_mib"));
        return Response.noContent();
      case "PUT /boot-source":
        {
          Optional<Response> missing =
              missingFile(json, "kernel_image_path", "Cannot open kernel image")
                  .or(() -> missingFile(json, "initrd_path", "Cannot open initrd file"));
          if (missing.isPresent()) {
            return missing.get();
          }
          bootSourceSet = true;
          bootArgs = json.path("boot_args").asText("");
          return Response.noContent();
        }
      case "PUT /network-interfaces/{iface_id}":
        tap = json.get("host_dev_name").asText();
        return Response.noContent();
      case "PUT /drives/{drive_id}":
        return missingFile(
                json, "path_on_host", "Unable to create the block device: cannot open backing file")
            .orElse(Response.noContent());
      case "PUT /logger":
        return missingFile(json, "log_path", "Failed to open target file")
            .orElse(Response.noContent());
      case "PUT /metrics":
        {
          if (metricsSet) {
            return Response.fault("Reinitialization of metrics not allowed.");
          }
          Optional<Response> missing =
              missingFile(json, "metrics_path", "Failed to open target file");
          if (missing.isEmpty()) {
            metricsSet = true;
          }
          return missing.orElse(Response.noContent());
        }
      case "PUT /actions":
        return action(json.get("action_type").asText(), booted);
      case "PATCH /vm":
        if (!booted) {
          return Response.fault(
              "The requested operation is not supported before starting the microVM.");
        }
        state = json.get("state").asText().equals("Paused") ? "Paused" : "Running";
        return Response.noContent();
      default:
        if (method.equals("GET")) {
          return Response.fault("The hearth fake firecracker does not model " + op + ".");
        }
        return Response.noContent();
    }
  }

  private Response action(String actionType, boolean booted) {
    switch (actionType) {
      case "InstanceStart":
        if (booted) {
          return Response.fault(
              "The requested operation is not supported after starting the microVM.");
        }
        if (!bootSourceSet) {
          return Response.fault("Cannot start microvm without kernel configuration.");
        }
        state = "Running";
        String guestIp = FakeGuestSsh.guestIp(bootArgs);
        String guestTap = tap;
        guest =
            new Thread(
                () -> {
                  bootConsole();
                  if (guestRunner != null) {
                    startGuest(guestIp, guestTap);
                  }
                },
                "fake-firecracker-guest");
        guest.start();
        return Response.noContent();
      case "SendCtrlAltDel":
        if (!booted) {
          return Response.fault(
              "The requested operation is not supported before starting the microVM.");
        }
        return new Response(204, "", !ignoreCtrlAltDel);
      default: // FlushMetrics
        if (!booted) {
          return Response.fault(
              "The requested operation is not supported before starting the microVM.");
        }
        if (!metricsSet) {
          return Response.fault("Failed to flush metrics: the metrics system is not initialized.");
        }
        return Response.noContent();
    }
  }

  /** See {@link #IGNORE_CTRL_ALT_DEL_PROPERTY}. */
  public void ignoreCtrlAltDel(boolean ignore) {
    this.ignoreCtrlAltDel = ignore;
  }

  private void bootConsole() {
    console.println(BOOT_LINE);
    console.println("hearth fake guest " + instanceId + " is up");
    if (noiseBytes > 0) {
      String filler = "x".repeat(90);
      long written = 0;
      for (long n = 0; written < noiseBytes; n++) {
        String line = String.format("noise %08d %s", n, filler);
        console.println(line);
        written += line.length() + 1;
      }
    }
    console.flush();
  }

  /** Boots the emulated guest; on failure says why and runs the failure action. */
  private void startGuest(String ip, String guestTap) {
    String problem;
    if (ip == null) {
      problem = "the boot args have no ip= (" + bootArgs + ")";
    } else if (guestTap == null) {
      problem = "no network interface with a host_dev_name was configured";
    } else {
      try {
        synchronized (guestLock) {
          if (closing) {
            return;
          }
          guestSsh =
              FakeGuestSsh.start(
                  guestRunner, ip, guestTap, console, () -> shutDown(FakeGuestSsh.POWEROFF_LINE));
        }
        console.println("hearth fake guest: SSH on " + ip + ":" + FakeGuestSsh.PORT);
        console.flush();
        return;
      } catch (IOException e) {
        problem = e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        problem = "interrupted";
      }
    }
    console.println(GUEST_FAILURE_PREFIX + problem);
    console.flush();
    close();
    onGuestFailure.run();
  }

  private void shutDown() {
    shutDown(SHUTDOWN_LINE);
  }

  /** Ends the fake as the guest going down does: last console line, socket removed, exit. */
  private void shutDown(String lastLine) {
    try {
      guest.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    console.println(lastLine);
    console.flush();
    close();
    onShutdown.run();
  }

  private static Optional<Response> missingFile(JsonNode json, String field, String message) {
    JsonNode value = json.get(field);
    if (value == null || Files.exists(Path.of(value.asText()))) {
      return Optional.empty();
    }
    return Optional.of(
        Response.fault(
            message + " " + value.asText() + ": No such file or directory (os error 2)"));
  }

  private static JsonNode parse(String body) {
    if (body == null || body.isEmpty()) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return new TextNode(body);
    }
  }

  private void record(String method, String path, String body, int status) {
    ObjectNode entry = JSON.createObjectNode();
    entry.put("method", method);
    entry.put("path", path);
    entry.set("body", body.isEmpty() ? JSON.nullNode() : parse(body));
    entry.put("status", status);
    try {
      Files.writeString(
          requestLog, entry + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record a request in " + requestLog, e);
    }
  }

  private static void writeResponse(OutputStream out, Response r) throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(r.status());
    head.append(r.status() == 204 ? " No Content" : r.status() == 200 ? " OK" : " Bad Request");
    head.append("\r\nServer: Firecracker API\r\nConnection: keep-alive\r\n");
    byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
    if (r.status() != 204) {
      head.append("Content-Type: application/json\r\nContent-Length: ")
          .append(body.length)
          .append("\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      if (line.size() > 8192) {
        throw new IOException("header line too long");
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
  }
}

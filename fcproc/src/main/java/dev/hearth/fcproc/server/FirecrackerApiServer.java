package dev.hearth.fcproc.server;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.fcproc.client.BootSource;
import dev.hearth.fcproc.client.Drive;
import dev.hearth.fcproc.client.LogLevel;
import dev.hearth.fcproc.client.LoggerConfig;
import dev.hearth.fcproc.client.MachineConfig;
import dev.hearth.fcproc.client.MetricsConfig;
import dev.hearth.fcproc.client.NetworkInterface;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Firecracker v1.16.1's API on a Unix socket, as Firecracker answers it, for a {@link
 * FirecrackerBackend} that runs the guest (the fake firecracker of the tests, or QEMU).
 *
 * <p>HTTP/1.1 by hand (keep-alive, Content-Length bodies of at most {@value #MAX_PAYLOAD} bytes).
 * Every request is checked against the spec ({@link FirecrackerSpec}); pre-boot resources are
 * refused after {@code InstanceStart} and post-boot ones before it; {@code InstanceStart} needs a
 * boot source; files named in requests must exist. Success is 204 (200 with JSON for GETs), every
 * error 400 with {@code fault_message}. The server keeps the configuration (machine config, boot
 * source, drives, network interfaces, logger, metrics) and the instance state; the backend acts on
 * start, shutdown, pause and resume.
 */
public final class FirecrackerApiServer implements Closeable {
  /** Firecracker's limit on a request body. */
  public static final int MAX_PAYLOAD = 51200;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NOT_STARTED = "Not started";
  private static final String AFTER_BOOT =
      "The requested operation is not supported after starting the microVM.";
  private static final String BEFORE_BOOT =
      "The requested operation is not supported before starting the microVM.";

  /** Told about every answered request, e.g. to record it. */
  public interface RequestListener {
    void answered(String method, String path, String body, int status);
  }

  private final FirecrackerSpec spec;
  private final Path apiSocket;
  private final String instanceId;
  private final FirecrackerBackend backend;
  private final RequestListener listener;
  private final Path root;

  private AFUNIXServerSocket server;

  // Guarded by this.
  private String state = NOT_STARTED;
  private int vcpuCount = 1;
  private int memSizeMib = 128;
  private boolean smt;
  private boolean trackDirtyPages;
  private BootSource bootSource;
  private final Map<String, Drive> drives = new LinkedHashMap<>();
  private final Map<String, NetworkInterface> interfaces = new LinkedHashMap<>();
  private LoggerConfig logger;
  private MetricsConfig metrics;

  public FirecrackerApiServer(
      FirecrackerSpec spec,
      Path apiSocket,
      String instanceId,
      FirecrackerBackend backend,
      RequestListener listener) {
    this(spec, apiSocket, instanceId, backend, listener, Path.of("/"));
  }

  /**
   * A server whose requests name files as a jailed firecracker sees them: relative to {@code root}
   * (its jail's root folder; {@code /} for a firecracker that is not jailed). The backend is given
   * the host's paths.
   */
  public FirecrackerApiServer(
      FirecrackerSpec spec,
      Path apiSocket,
      String instanceId,
      FirecrackerBackend backend,
      RequestListener listener,
      Path root) {
    this.root = requireNonNull(root, "root");
    this.spec = requireNonNull(spec, "spec");
    this.apiSocket = requireNonNull(apiSocket, "apiSocket");
    this.instanceId = requireNonNull(instanceId, "instanceId");
    this.backend = requireNonNull(backend, "backend");
    this.listener = requireNonNull(listener, "listener");
  }

  /**
   * Binds the API socket and serves it on a (non-daemon) thread, one more per connection.
   *
   * @throws FileAlreadyExistsException when the socket path exists, as with the real firecracker
   */
  public void start() throws IOException {
    if (Files.exists(apiSocket, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(apiSocket.toString());
    }
    server = AFUNIXServerSocket.newInstance();
    server.bind(AFUNIXSocketAddress.of(apiSocket));
    Thread acceptor = new Thread(this::acceptLoop, "firecracker-api-" + instanceId);
    acceptor.start();
  }

  public Path apiSocket() {
    return apiSocket;
  }

  /** Stops serving and removes the socket. */
  @Override
  public void close() throws IOException {
    if (server != null) {
      server.close();
    }
    Files.deleteIfExists(apiSocket);
  }

  /**
   * Answers one request as if it came over the socket (and runs what the backend wants done after
   * the answer).
   */
  public ApiResponse handle(String method, String path, String body) throws InterruptedException {
    Answer answer = answer(method, path, body);
    answer.after().run();
    return answer.response();
  }

  private record Answer(ApiResponse response, Runnable after) {
    static Answer of(ApiResponse response) {
      return new Answer(response, () -> {});
    }
  }

  private static ApiResponse noContent() {
    return new ApiResponse(204, "");
  }

  private static ApiResponse json(JsonNode body) {
    return new ApiResponse(200, body.toString());
  }

  private static ApiResponse fault(String message) {
    ObjectNode o = JSON.createObjectNode();
    o.put("fault_message", message);
    return new ApiResponse(400, o.toString());
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket connection;
      try {
        connection = server.accept();
      } catch (IOException e) {
        return;
      }
      Thread t = new Thread(() -> serve(connection), "firecracker-api-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket connection) {
    try (connection) {
      InputStream in = new BufferedInputStream(connection.getInputStream());
      OutputStream out = new BufferedOutputStream(connection.getOutputStream());
      while (true) {
        String requestLine = ServerHttp.readLine(in);
        if (requestLine == null) {
          return;
        }
        if (requestLine.isEmpty()) {
          continue;
        }
        ServerHttp.Request request = ServerHttp.readRequest(requestLine, in);
        Answer answer =
            request.fault().isPresent()
                ? Answer.of(fault(request.fault().get()))
                : answer(request.method(), request.path(), request.body());
        ServerHttp.writeResponse(out, answer.response());
        answer.after().run();
      }
    } catch (IOException e) {
      // The client went away; nothing to answer.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized Answer answer(String method, String path, String body)
      throws InterruptedException {
    String text = body == null ? "" : body;
    Answer answer;
    try {
      answer = dispatch(method, path, text);
    } catch (FirecrackerBackendException | IllegalArgumentException e) {
      answer = Answer.of(fault(e.getMessage()));
    }
    listener.answered(method, path, text, answer.response().status());
    return answer;
  }

  private Answer dispatch(String method, String path, String body) throws InterruptedException {
    Optional<String> invalid = spec.validate(method, path, body);
    if (invalid.isPresent()) {
      return Answer.of(fault(invalid.get()));
    }
    FirecrackerSpec.Endpoint endpoint = spec.endpoint(method, path).orElseThrow();
    boolean booted = !state.equals(NOT_STARTED);
    if (booted && endpoint.preBootOnly()) {
      return Answer.of(fault(AFTER_BOOT));
    }
    if (!booted && endpoint.postBootOnly()) {
      return Answer.of(fault(BEFORE_BOOT));
    }
    JsonNode json = parse(body);
    String op = endpoint.operationName();
    switch (op) {
      case "GET /":
        {
          ObjectNode info = JSON.createObjectNode();
          info.put("id", instanceId);
          info.put("state", state);
          info.put("vmm_version", FirecrackerSpec.VERSION);
          info.put("app_name", "Firecracker");
          return Answer.of(json(info));
        }
      case "GET /version":
        {
          ObjectNode v = JSON.createObjectNode();
          v.put("firecracker_version", FirecrackerSpec.VERSION);
          return Answer.of(json(v));
        }
      case "GET /machine-config":
        return Answer.of(json(machineConfigJson()));
      case "PUT /machine-config":
        setMachineConfig(json, true);
        return Answer.of(noContent());
      case "PATCH /machine-config":
        setMachineConfig(json, false);
        return Answer.of(noContent());
      case "PUT /boot-source":
        return Answer.of(putBootSource(json));
      case "PUT /network-interfaces/{iface_id}":
        return Answer.of(putNetworkInterface(json));
      case "PUT /drives/{drive_id}":
        return Answer.of(putDrive(json));
      case "PUT /logger":
        return Answer.of(putLogger(json));
      case "PUT /metrics":
        return Answer.of(putMetrics(json));
      case "PUT /actions":
        return action(json.get("action_type").asText());
      case "PATCH /vm":
        if (!booted) {
          return Answer.of(fault(BEFORE_BOOT));
        }
        if (json.get("state").asText().equals("Paused")) {
          backend.pause();
          state = "Paused";
        } else {
          backend.resume();
          state = "Running";
        }
        return Answer.of(noContent());
      default:
        Optional<String> refused = backend.unsupported(op);
        if (refused.isPresent()) {
          return Answer.of(fault(refused.get()));
        }
        if (method.equals("GET")) {
          return Answer.of(fault("The hearth Firecracker API server does not model " + op + "."));
        }
        return Answer.of(noContent());
    }
  }

  private ObjectNode machineConfigJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("vcpu_count", vcpuCount);
    o.put("mem_size_mib", memSizeMib);
    o.put("smt", smt);
    o.put("track_dirty_pages", trackDirtyPages);
    return o;
  }

  private void setMachineConfig(JsonNode json, boolean replace) {
    MachineConfig config =
        new MachineConfig(
            json.path("vcpu_count").asInt(vcpuCount), json.path("mem_size_mib").asInt(memSizeMib));
    vcpuCount = config.vcpuCount();
    memSizeMib = config.memSizeMib();
    smt = json.path("smt").asBoolean(replace ? false : smt);
    trackDirtyPages = json.path("track_dirty_pages").asBoolean(replace ? false : trackDirtyPages);
  }

  private ApiResponse putBootSource(JsonNode json) {
    Optional<ApiResponse> missing =
        missingFile(json, "kernel_image_path", "Cannot open kernel image")
            .or(() -> missingFile(json, "initrd_path", "Cannot open initrd file"));
    if (missing.isPresent()) {
      return missing.get();
    }
    bootSource =
        new BootSource(
            hostPath(json.get("kernel_image_path").asText()),
            text(json, "boot_args"),
            text(json, "initrd_path").map(this::hostPath));
    return noContent();
  }

  private ApiResponse putNetworkInterface(JsonNode json) {
    NetworkInterface nic =
        new NetworkInterface(
            json.get("iface_id").asText(),
            json.get("host_dev_name").asText(),
            text(json, "guest_mac"),
            RateLimiterJson.read(json.path("rx_rate_limiter")),
            RateLimiterJson.read(json.path("tx_rate_limiter")));
    Optional<String> refused = backend.refuses(nic);
    if (refused.isPresent()) {
      return fault(refused.get());
    }
    interfaces.put(nic.ifaceId(), nic);
    return noContent();
  }

  private ApiResponse putDrive(JsonNode json) {
    if (!json.hasNonNull("path_on_host")) {
      return fault("The hearth Firecracker API server needs path_on_host for a drive.");
    }
    Optional<ApiResponse> missing =
        missingFile(
            json, "path_on_host", "Unable to create the block device: cannot open backing file");
    if (missing.isPresent()) {
      return missing.get();
    }
    Drive drive =
        new Drive(
            json.get("drive_id").asText(),
            hostPath(json.get("path_on_host").asText()),
            json.get("is_root_device").asBoolean(),
            json.path("is_read_only").asBoolean(false),
            RateLimiterJson.read(json.path("rate_limiter")));
    if (drive.isRootDevice()
        && drives.values().stream()
            .anyMatch(d -> d.isRootDevice() && !d.driveId().equals(drive.driveId()))) {
      return fault("A root block device already exists!");
    }
    drives.put(drive.driveId(), drive);
    return noContent();
  }

  private ApiResponse putLogger(JsonNode json) {
    Optional<ApiResponse> missing = missingFile(json, "log_path", "Failed to open target file");
    if (missing.isPresent()) {
      return missing.get();
    }
    logger =
        new LoggerConfig(
            hostPath(json.get("log_path").asText()),
            text(json, "level").map(l -> LogLevel.valueOf(l.toUpperCase(Locale.ROOT))),
            flag(json, "show_level"),
            flag(json, "show_log_origin"));
    backend.loggerConfigured(logger);
    return noContent();
  }

  private ApiResponse putMetrics(JsonNode json) {
    if (metrics != null) {
      return fault("Reinitialization of metrics not allowed.");
    }
    Optional<ApiResponse> missing = missingFile(json, "metrics_path", "Failed to open target file");
    if (missing.isPresent()) {
      return missing.get();
    }
    metrics = new MetricsConfig(hostPath(json.get("metrics_path").asText()));
    backend.metricsConfigured(metrics);
    return noContent();
  }

  private Answer action(String actionType) throws InterruptedException {
    boolean booted = !state.equals(NOT_STARTED);
    switch (actionType) {
      case "InstanceStart":
        if (booted) {
          return Answer.of(fault(AFTER_BOOT));
        }
        if (bootSource == null) {
          return Answer.of(fault("Cannot start microvm without kernel configuration."));
        }
        backend.instanceStart(setup());
        state = "Running";
        return Answer.of(noContent());
      case "SendCtrlAltDel":
        if (!booted) {
          return Answer.of(fault(BEFORE_BOOT));
        }
        return new Answer(noContent(), backend.sendCtrlAltDel());
      default: // FlushMetrics
        if (!booted) {
          return Answer.of(fault(BEFORE_BOOT));
        }
        if (metrics == null) {
          return Answer.of(
              fault("Failed to flush metrics: the metrics system is not initialized."));
        }
        backend.flushMetrics(metrics);
        return Answer.of(noContent());
    }
  }

  private VmSetup setup() {
    List<Drive> ordered = new ArrayList<>();
    drives.values().stream().filter(Drive::isRootDevice).forEach(ordered::add);
    drives.values().stream().filter(d -> !d.isRootDevice()).forEach(ordered::add);
    return new VmSetup(
        instanceId,
        new MachineConfig(vcpuCount, memSizeMib, Optional.of(smt), Optional.of(trackDirtyPages)),
        bootSource,
        ordered,
        new ArrayList<>(interfaces.values()),
        Optional.ofNullable(logger),
        Optional.ofNullable(metrics));
  }

  private static Optional<String> text(JsonNode json, String field) {
    JsonNode value = json.get(field);
    return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
  }

  private static Optional<Boolean> flag(JsonNode json, String field) {
    JsonNode value = json.get(field);
    return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asBoolean());
  }

  /** Where a file a request names is on this host (see {@link #root}). */
  private Path hostPath(String named) {
    Path path = Path.of(named);
    if (root.getParent() == null) {
      return path; // not jailed: as the process's own working folder resolves it
    }
    // A jailed firecracker's working folder is its root.
    return path.isAbsolute() ? root.resolve(path.getRoot().relativize(path)) : root.resolve(path);
  }

  private Optional<ApiResponse> missingFile(JsonNode json, String field, String message) {
    JsonNode value = json.get(field);
    if (value == null || Files.exists(hostPath(value.asText()))) {
      return Optional.empty();
    }
    return Optional.of(
        fault(message + " " + value.asText() + ": No such file or directory (os error 2)"));
  }

  /** The body as JSON; the spec check has already refused a body that is not. */
  private static JsonNode parse(String body) {
    if (body.isEmpty()) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
  }
}

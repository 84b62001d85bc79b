package dev.hearth.fcproc.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.fcproc.internal.HttpResponse;
import dev.hearth.fcproc.internal.MalformedResponseException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The Firecracker HTTP API on one VM's API socket. Each call is one request on its own connection,
 * bounded by the timeout. A {@code 400} becomes a {@link FirecrackerApiException}; any other
 * unexpected answer a {@link FirecrackerResponseException}; a socket failure a {@link
 * FirecrackerConnectionException}. Safe for use by several threads.
 */
public final class FirecrackerClient {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final Path apiSocket;
  private final ApiTransport transport;

  public FirecrackerClient(Path apiSocket) {
    this(apiSocket, DEFAULT_TIMEOUT);
  }

  public FirecrackerClient(Path apiSocket, Duration timeout) {
    this(apiSocket, new UnixSocketTransport(apiSocket, timeout));
  }

  FirecrackerClient(Path apiSocket, ApiTransport transport) {
    this.apiSocket = requireNonNull(apiSocket, "apiSocket");
    this.transport = requireNonNull(transport, "transport");
  }

  public Path apiSocket() {
    return apiSocket;
  }

  /** Whether something accepts connections on the API socket right now. */
  public boolean isAccepting() {
    return transport.accepts();
  }

  /** {@code GET /}. */
  public InstanceInfo describeInstance() {
    JsonNode info = getJson("/");
    String state = text(info, "state", "/");
    try {
      return new InstanceInfo(
          text(info, "app_name", "/"),
          text(info, "id", "/"),
          InstanceState.fromApiName(state),
          text(info, "vmm_version", "/"));
    } catch (IllegalArgumentException e) {
      throw new FirecrackerResponseException("GET", "/", 200, info.toString(), e.getMessage());
    }
  }

  /** {@code GET /version}: the version Firecracker reports, e.g. {@code 1.16.1}. */
  public String version() {
    return text(getJson("/version"), "firecracker_version", "/version");
  }

  public void putMachineConfig(MachineConfig config) {
    send("PUT", "/machine-config", RequestBodies.machineConfig(config));
  }

  public void putBootSource(BootSource bootSource) {
    send("PUT", "/boot-source", RequestBodies.bootSource(bootSource));
  }

  public void putDrive(Drive drive) {
    send("PUT", "/drives/" + drive.driveId(), RequestBodies.drive(drive));
  }

  public void putNetworkInterface(NetworkInterface iface) {
    send("PUT", "/network-interfaces/" + iface.ifaceId(), RequestBodies.networkInterface(iface));
  }

  public void putLogger(LoggerConfig logger) {
    send("PUT", "/logger", RequestBodies.logger(logger));
  }

  public void putMetrics(MetricsConfig metrics) {
    send("PUT", "/metrics", RequestBodies.metrics(metrics));
  }

  /** Boots the configured guest ({@code InstanceStart}). */
  public void instanceStart() {
    send("PUT", "/actions", RequestBodies.action("InstanceStart"));
  }

  /** Asks the guest to shut down ({@code SendCtrlAltDel}; x86, needs i8042 in the guest). */
  public void sendCtrlAltDel() {
    send("PUT", "/actions", RequestBodies.action("SendCtrlAltDel"));
  }

  public void pause() {
    send("PATCH", "/vm", RequestBodies.vmState("Paused"));
  }

  public void resume() {
    send("PATCH", "/vm", RequestBodies.vmState("Resumed"));
  }

  /** Sends a request and checks its status; the body of a 200 is returned, "" for a 204. */
  String send(String method, String path, String body) {
    HttpResponse response;
    try {
      response = transport.exchange(method, path, body);
    } catch (MalformedResponseException e) {
      throw new FirecrackerResponseException(
          method, path, FirecrackerResponseException.NO_STATUS, "", e.getMessage());
    } catch (IOException e) {
      throw new FirecrackerConnectionException(apiSocket, method, path, e);
    }
    String requestBody = body == null ? "" : body;
    switch (response.status()) {
      case 200:
      case 204:
        return response.body();
      case 400:
        throw new FirecrackerApiException(method, path, requestBody, faultMessage(response));
      default:
        throw new FirecrackerResponseException(
            method, path, response.status(), response.body(), "status not defined by the API");
    }
  }

  private JsonNode getJson(String path) {
    String body = send("GET", path, null);
    try {
      JsonNode node = RequestBodies.JSON.readTree(body);
      if (node == null || !node.isObject()) {
        throw new FirecrackerResponseException("GET", path, 200, body, "not a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new FirecrackerResponseException("GET", path, 200, body, "not JSON");
    }
  }

  private static String text(JsonNode node, String field, String path) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new FirecrackerResponseException(
          "GET", path, 200, node.toString(), "no string field '" + field + "'");
    }
    return value.asText();
  }

  private static String faultMessage(HttpResponse response) {
    try {
      JsonNode node = RequestBodies.JSON.readTree(response.body());
      JsonNode fault = node == null ? null : node.get("fault_message");
      if (fault != null && fault.isTextual()) {
        return fault.asText();
      }
    } catch (JsonProcessingException e) {
      // Not JSON: the raw body is the best explanation there is.
    }
    return response.body().isEmpty() ? "(no fault_message)" : response.body();
  }
}

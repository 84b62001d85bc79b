package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.VersionInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The JSON shapes of the {@code daemon.*} methods' results ({@code daemon.doctor}, {@code
 * daemon.version}), written by the server and read by the client.
 */
public final class DaemonJson {
  private DaemonJson() {}

  public static ObjectNode toJson(DoctorReport report) {
    ObjectNode result = Wire.object();
    ArrayNode checks = result.putArray("checks");
    for (DoctorCheck check : report.checks()) {
      checks
          .addObject()
          .put("name", check.name())
          .put("status", check.status().name())
          .put("detail", check.detail())
          .put("fix", check.fix());
    }
    result.put("failed", report.failed());
    return result;
  }

  /** Reads what {@code daemon.doctor} returns. */
  public static DoctorReport doctorReport(JsonNode result) {
    JsonNode checks = result.path("checks");
    if (!checks.isArray()) {
      throw malformed("daemon.doctor", result);
    }
    List<DoctorCheck> list = new ArrayList<>();
    for (JsonNode c : checks) {
      DoctorCheck.Status status;
      try {
        status = DoctorCheck.Status.valueOf(c.path("status").asText());
      } catch (IllegalArgumentException e) {
        throw malformed("daemon.doctor", result);
      }
      list.add(
          new DoctorCheck(
              c.path("name").asText(), status, c.path("detail").asText(), c.path("fix").asText()));
    }
    return new DoctorReport(list);
  }

  /**
   * Reads what {@code daemon.version} returns, the JSON text at {@code offset} in {@code json},
   * with the streaming parser: every connection checks the protocol with it, and it builds no
   * mapper. A member this client does not know is skipped.
   */
  public static VersionInfo versionInfo(byte[] json, int offset, int length) {
    String version = "";
    Integer protocolVersion = null;
    String javaVersion = "";
    long pid = -1;
    Optional<VersionInfo.Vmm> vmm = Optional.empty();
    try (JsonParser result = Wire.STREAMING.createParser(json, offset, length)) {
      if (result.nextToken() != JsonToken.START_OBJECT) {
        throw malformed("daemon.version", json, offset, length);
      }
      while (result.nextToken() == JsonToken.FIELD_NAME) {
        String member = result.currentName();
        result.nextToken();
        switch (member) {
          case "version" -> version = text(result);
          case "protocol_version" -> protocolVersion = intOrNull(result);
          case "java_version" -> javaVersion = text(result);
          case "pid" -> {
            pid = result.getValueAsLong(-1);
            result.skipChildren();
          }
          case "vmm" -> vmm = vmm(result);
          default -> result.skipChildren();
        }
      }
    } catch (IOException e) {
      throw malformed("daemon.version", json, offset, length);
    }
    if (protocolVersion == null) {
      throw malformed("daemon.version", json, offset, length);
    }
    return new VersionInfo(version, protocolVersion, javaVersion, pid, vmm);
  }

  /** The {@code vmm} object: kind, path (null when nothing can run) and reason; else empty. */
  private static Optional<VersionInfo.Vmm> vmm(JsonParser parser) throws IOException {
    if (parser.currentToken() != JsonToken.START_OBJECT) {
      parser.skipChildren();
      return Optional.empty();
    }
    String kind = "";
    Optional<String> path = Optional.empty();
    String reason = "";
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String member = parser.currentName();
      parser.nextToken();
      switch (member) {
        case "kind" -> kind = text(parser);
        case "path" -> {
          path =
              parser.currentToken() == JsonToken.VALUE_STRING
                  ? Optional.of(parser.getText())
                  : Optional.empty();
          parser.skipChildren();
        }
        case "reason" -> reason = text(parser);
        default -> parser.skipChildren();
      }
    }
    return Optional.of(new VersionInfo.Vmm(kind, path, reason));
  }

  /** A scalar as text, as {@code JsonNode.asText()} gives it; "" for null, objects and arrays. */
  private static String text(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    if (token.isScalarValue() && token != JsonToken.VALUE_NULL) {
      return parser.getText();
    }
    parser.skipChildren();
    return "";
  }

  /** An integral number that fits an int, else null. */
  private static Integer intOrNull(JsonParser parser) throws IOException {
    if (parser.currentToken() != JsonToken.VALUE_NUMBER_INT
        || parser.getNumberType() != JsonParser.NumberType.INT) {
      parser.skipChildren();
      return null;
    }
    return parser.getIntValue();
  }

  private static HearthException malformed(String method, byte[] json, int offset, int length) {
    return malformed(method, new String(json, offset, length, StandardCharsets.UTF_8));
  }

  private static HearthException malformed(String method, JsonNode result) {
    return malformed(method, result.toString());
  }

  private static HearthException malformed(String method, String result) {
    return new HearthException(
        HearthException.Kind.PROTOCOL,
        "the daemon answered " + method + " with an unexpected result: " + Wire.abbreviate(result));
  }
}

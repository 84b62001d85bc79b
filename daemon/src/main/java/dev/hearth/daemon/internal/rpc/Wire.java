package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.DoctorCheck;
import dev.hearth.daemon.DoctorReport;
import dev.hearth.daemon.VersionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The wire format shared by the server and the client: the JSON mapper, the line limit, and the
 * JSON shapes of the public result records.
 */
public final class Wire {
  /** Longest request or response line, without its {@code '\n'}. */
  public static final int MAX_LINE_BYTES = 1024 * 1024;

  /** Strict JSON: no duplicate keys, nothing after the value. */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static final int ABBREVIATE_AT = 60;

  private Wire() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** A JSON value shortened for an error message. */
  public static String abbreviate(JsonNode node) {
    return abbreviate(node.toString());
  }

  /** Text from a request shortened for an error message, so that a reply stays small. */
  public static String abbreviate(String text) {
    return text.length() > ABBREVIATE_AT ? text.substring(0, ABBREVIATE_AT) + "…" : text;
  }

  /** A JSON value as one line of UTF-8, without the {@code '\n'}. */
  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree: " + e.getMessage(), e);
    }
  }

  public static ObjectNode toJson(DoctorReport report) {
    ObjectNode result = object();
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

  /** Reads what {@code daemon.version} returns. */
  public static VersionInfo versionInfo(JsonNode result) {
    JsonNode protocol = result.path("protocol_version");
    if (!protocol.canConvertToInt() || !protocol.isIntegralNumber()) {
      throw malformed("daemon.version", result);
    }
    JsonNode vmm = result.path("vmm");
    return new VersionInfo(
        result.path("version").asText(),
        protocol.intValue(),
        result.path("java_version").asText(),
        result.path("pid").asLong(-1),
        vmm.isObject()
            ? Optional.of(
                new VersionInfo.Vmm(
                    vmm.path("kind").asText(),
                    vmm.path("path").isTextual()
                        ? Optional.of(vmm.path("path").asText())
                        : Optional.empty(),
                    vmm.path("reason").asText()))
            : Optional.empty());
  }

  private static DaemonException malformed(String method, JsonNode result) {
    return new DaemonException(
        "the daemon answered " + method + " with an unexpected result: " + abbreviate(result));
  }
}

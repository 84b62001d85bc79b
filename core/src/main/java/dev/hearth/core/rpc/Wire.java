package dev.hearth.core.rpc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The wire format shared by the server and the client: the JSON mapper and streaming factory, the
 * line limit, and shortening of request text for error messages.
 */
public final class Wire {
  /** Longest request or response line, without its {@code '\n'}. */
  public static final int MAX_LINE_BYTES = 1024 * 1024;

  /**
   * Streaming reads and writes (jackson-core alone), as strict about duplicate keys as {@link
   * #mapper()}: what the client's protocol check uses, as it must not build the mapper.
   */
  public static final JsonFactory STREAMING =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final int ABBREVIATE_AT = 60;

  private Wire() {}

  /**
   * Strict JSON trees: no duplicate keys, nothing after the value. Built on first use: setting up
   * an ObjectMapper (its date formats load the JDK's locale data) costs more than the rest of a
   * short CLI command, which needs none when it only checks the protocol and prints a table.
   */
  public static ObjectMapper mapper() {
    return MapperHolder.MAPPER;
  }

  private static final class MapperHolder {
    static final ObjectMapper MAPPER =
        JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
  }

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
      return mapper().writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree: " + e.getMessage(), e);
    }
  }
}

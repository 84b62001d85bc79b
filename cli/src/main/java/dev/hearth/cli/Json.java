package dev.hearth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON in and out of the CLI: compact for machines (--json, pipes), indented for people. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** Parses JSON text; one value, nothing after it. */
  static JsonNode parse(String text) throws JsonProcessingException {
    return MAPPER
        .readerFor(JsonNode.class)
        .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .readValue(text);
  }

  /** JSON text that hearth made (the daemon's form of a record, {@code HearthJson}) as a tree. */
  static JsonNode node(String text) {
    try {
      return parse(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("hearth's own JSON does not parse: " + text, e);
    }
  }

  /** A field as text: "" when missing or null, digits for numbers. */
  static String text(JsonNode node, String field) {
    return node.path(field).asText("");
  }

  static String render(JsonNode node, boolean pretty) {
    try {
      return pretty
          ? MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node)
          : MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      // A tree we built or parsed always serialises.
      throw new IllegalStateException(e);
    }
  }
}

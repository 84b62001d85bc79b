package dev.hearth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Printable;

/**
 * JSON in and out of the CLI: compact for machines (--json, pipes), indented for people. Output
 * escapes, besides what JSON requires, DEL, the C1 controls and the bidirectional formatting
 * characters as JSON's unicode escapes: the same text to a parser, nothing a terminal acts on when
 * the JSON is shown there (a guest's output or file names reach it).
 */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final CharacterEscapes TERMINAL_SAFE = new TerminalSafeEscapes();

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
      ObjectWriter writer = MAPPER.writer().with(TERMINAL_SAFE);
      return pretty
          ? writer.withDefaultPrettyPrinter().writeValueAsString(node)
          : writer.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      // A tree we built or parsed always serialises.
      throw new IllegalStateException(e);
    }
  }

  private static final class TerminalSafeEscapes extends CharacterEscapes {
    // CharacterEscapes is Serializable; this one is never serialised.
    private static final long serialVersionUID = 1L;

    private final int[] ascii = standardAsciiEscapesForJSON();

    TerminalSafeEscapes() {
      ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return (ch >= 0x80 && ch <= 0x9f) || Printable.isBidiControl(ch)
          ? new SerializedString(String.format("\\u%04X", ch))
          : null;
    }
  }
}

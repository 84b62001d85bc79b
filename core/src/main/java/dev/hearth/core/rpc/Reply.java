package dev.hearth.core.rpc;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One line the server (the daemon) sent a client (a response, a notification, or something else,
 * which the client skips), checked and taken apart with the streaming parser ({@link
 * Wire#STREAMING}): the whole line must be one strict JSON value, and the envelope's members are
 * read as it goes, while {@code result}, {@code error} and {@code params} stay spans of the line
 * until asked for, as trees ({@link Wire#mapper()}) or by a {@link SpanReader} (a streaming reader
 * of its own). So a client that only checks the protocol never builds the mapper.
 */
public final class Reply {
  /** A value's place in the line. */
  private record Span(int offset, int length) {}

  /** A blank line, the daemon's keepalive: ignorable. */
  public static final Reply KEEPALIVE =
      new Reply(new byte[0], false, false, false, 0, null, null, null, null, null);

  private final byte[] line;
  private final boolean hasId;
  private final boolean idIsNull;
  private final boolean idIsLong;
  private final long id;
  private final Span idSpan;
  private final String method;
  private final Span result;
  private final Span error;
  private final Span params;

  private Reply(
      byte[] line,
      boolean hasId,
      boolean idIsNull,
      boolean idIsLong,
      long id,
      Span idSpan,
      String method,
      Span result,
      Span error,
      Span params) {
    this.line = line;
    this.hasId = hasId;
    this.idIsNull = idIsNull;
    this.idIsLong = idIsLong;
    this.id = id;
    this.idSpan = idSpan;
    this.method = method;
    this.result = result;
    this.error = error;
    this.params = params;
  }

  /**
   * Reads one line (not blank: blank lines are the daemon's keepalives).
   *
   * @throws JsonParseException when it is not exactly one JSON value, or an object repeats a key
   */
  public static Reply parse(byte[] line) throws IOException {
    try (JsonParser parser = Wire.STREAMING.createParser(line)) {
      JsonToken root = parser.nextToken();
      Reply reply;
      if (root == JsonToken.START_OBJECT) {
        reply = members(line, parser);
      } else {
        parser.skipChildren();
        reply = new Reply(line, false, false, false, 0, null, null, null, null, null);
      }
      JsonToken trailing = parser.nextToken();
      if (trailing != null) {
        throw new JsonParseException(
            parser, "Trailing token (of type " + trailing + ") found after the value");
      }
      return reply;
    }
  }

  private static Reply members(byte[] line, JsonParser parser) throws IOException {
    boolean hasId = false;
    boolean idIsNull = false;
    boolean idIsLong = false;
    long id = 0;
    Span idSpan = null;
    String method = null;
    Span result = null;
    Span error = null;
    Span params = null;
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String member = parser.currentName();
      JsonToken value = parser.nextToken();
      int start = (int) parser.currentTokenLocation().getByteOffset();
      switch (member) {
        case "id" -> {
          hasId = true;
          idIsNull = value == JsonToken.VALUE_NULL;
          // As JsonNode.canConvertToLong() and longValue() have it.
          if (value == JsonToken.VALUE_NUMBER_INT
              && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            idIsLong = true;
            id = parser.getLongValue();
          } else if (value == JsonToken.VALUE_NUMBER_FLOAT) {
            double number = parser.getDoubleValue();
            idIsLong = number >= Long.MIN_VALUE && number <= Long.MAX_VALUE;
            id = (long) number;
          }
        }
        case "method" -> method = value == JsonToken.VALUE_STRING ? parser.getText() : null;
        default -> {
          // Another member is read only to check it.
        }
      }
      parser.skipChildren();
      parser.finishToken();
      Span span = new Span(start, (int) parser.currentLocation().getByteOffset() - start);
      switch (member) {
        case "id" -> idSpan = span;
        case "result" -> result = span;
        case "error" -> error = span;
        case "params" -> params = span;
        default -> {
          // Not part of a reply the client reads.
        }
      }
    }
    return new Reply(line, hasId, idIsNull, idIsLong, id, idSpan, method, result, error, params);
  }

  /** A notification: no id, and a method name. */
  public boolean isNotification() {
    return !hasId && method != null;
  }

  /** Neither a response nor a notification: the client skips it. */
  public boolean isIgnorable() {
    return !hasId && method == null;
  }

  /**
   * Whether this answers request {@code requestId}: its id, or a null id with an error (the daemon
   * refusing a request it could not read, or the connection).
   */
  public boolean answers(long requestId) {
    return (idIsLong && id == requestId) || (idIsNull && error != null);
  }

  /** The id as the daemon wrote it, shortened, for an error message. */
  public String idText() {
    return Wire.abbreviate(text(idSpan));
  }

  /** The notification's method; null for a response. */
  public String method() {
    return method;
  }

  public boolean hasError() {
    return error != null;
  }

  public boolean hasResult() {
    return result != null;
  }

  public JsonNode error() {
    return tree(error);
  }

  public JsonNode result() {
    return tree(result);
  }

  /** The notification's params; null when it has none. */
  public JsonNode params() {
    return params == null ? null : tree(params);
  }

  /** Reads the result with {@code reader}, a streaming reader, without a tree. */
  public <T> T result(SpanReader<T> reader) {
    return reader.read(line, result.offset(), result.length());
  }

  /** Reads a value in place: {@code json} from {@code offset}, {@code length} bytes. */
  @FunctionalInterface
  public interface SpanReader<T> {
    T read(byte[] json, int offset, int length);
  }

  private JsonNode tree(Span span) {
    try {
      return Wire.mapper().readTree(line, span.offset(), span.length());
    } catch (IOException e) {
      // The span was checked as one JSON value when the line was parsed.
      throw new UncheckedIOException(e);
    }
  }

  private String text(Span span) {
    return new String(line, span.offset(), span.length(), StandardCharsets.UTF_8);
  }
}

package dev.hearth.core.rpc;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON-RPC 2.0 over one line: checks the envelope of a request line, hands it to the {@link
 * RequestHandler}, and turns the result or the failure into the reply line. Knows nothing of
 * sockets.
 */
public final class JsonRpcProtocol {
  private static final Logger log = LoggerFactory.getLogger(JsonRpcProtocol.class);

  private final RequestHandler handler;

  public JsonRpcProtocol(RequestHandler handler) {
    this.handler = handler;
  }

  /**
   * Serves one request line.
   *
   * @return the reply line without its {@code '\n'}; empty for a notification and a blank line
   */
  public Optional<byte[]> handle(byte[] line) throws InterruptedException {
    return handle(line, NotificationSink.NONE);
  }

  /**
   * Serves one request line; a streaming method sends its notifications to {@code sink} before the
   * reply is returned.
   *
   * @return the reply line without its {@code '\n'}; empty for a notification and a blank line
   */
  public Optional<byte[]> handle(byte[] line, NotificationSink sink) throws InterruptedException {
    return handle(line, sink, null);
  }

  /**
   * Serves one request line on a connection that streams: a request with an id gets {@code stream}
   * (handed to the {@link RequestHandler}), which is null for a notification.
   *
   * @return the reply line without its {@code '\n'}; empty for a notification and a blank line
   */
  public Optional<byte[]> handle(byte[] line, NotificationSink sink, RequestStream stream)
      throws InterruptedException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(line))
              .toString();
    } catch (CharacterCodingException e) {
      return Optional.of(
          errorReply(NullNode.instance, parseError("the request is not valid UTF-8")));
    }
    if (text.isBlank()) {
      return Optional.empty();
    }
    JsonNode request;
    try {
      request = Wire.mapper().readTree(text);
    } catch (JacksonException e) {
      return Optional.of(
          errorReply(
              NullNode.instance,
              parseError("the request is not valid JSON: " + e.getOriginalMessage())));
    }
    if (request.isArray()) {
      return Optional.of(
          errorReply(
              NullNode.instance,
              ProtocolError.INVALID_REQUEST.error(
                  "batch requests are not supported: send one request object per line")));
    }
    if (!request.isObject()) {
      return Optional.of(
          errorReply(
              NullNode.instance,
              ProtocolError.INVALID_REQUEST.error(
                  "a request must be a JSON object; got " + describe(request))));
    }
    return handle((ObjectNode) request, sink, stream);
  }

  /**
   * The request on {@code line} when its method {@linkplain RequestHandler#answersAtOnce answers at
   * once}: the line is ASCII (so valid UTF-8 without decoding) and one JSON object with such a
   * {@code method}. Empty for every other line, which {@link #handle(byte[], NotificationSink,
   * RequestStream)} serves (and answers with its error when it is malformed).
   */
  Optional<ObjectNode> atOnceRequest(byte[] line) {
    for (byte b : line) {
      if (b < 0) {
        return Optional.empty();
      }
    }
    JsonNode request;
    try {
      request = Wire.mapper().readTree(line);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    if (request == null || !request.isObject()) {
      return Optional.empty();
    }
    JsonNode method = request.get("method");
    if (method == null || !method.isTextual() || !handler.answersAtOnce(method.textValue())) {
      return Optional.empty();
    }
    return Optional.of((ObjectNode) request);
  }

  /**
   * Serves a request {@link #atOnceRequest} returned, with no stream and no sink.
   *
   * @return the reply line without its {@code '\n'}; empty for a notification
   */
  Optional<byte[]> answerAtOnce(ObjectNode request) throws InterruptedException {
    return handle(request, NotificationSink.NONE, null);
  }

  /**
   * The line as a JSON object when it is stream input: a {@code session.write} whose params hold a
   * {@code stream} key. Such lines are routed to the running request rather than dispatched; {@code
   * session.write} without {@code stream} is an ordinary request.
   */
  public static Optional<JsonNode> streamInput(byte[] line) {
    JsonNode message;
    try {
      message = Wire.mapper().readTree(line);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    if (message == null
        || !message.isObject()
        || !RequestStream.INPUT_METHOD.equals(message.path("method").asText(null))
        || !message.path("params").isObject()
        || !message.path("params").has("stream")) {
      return Optional.empty();
    }
    return Optional.of(message);
  }

  private Optional<byte[]> handle(ObjectNode request, NotificationSink sink, RequestStream stream)
      throws InterruptedException {
    JsonNode id = request.get("id");
    if (id != null && !(id.isTextual() || id.isNumber() || id.isNull())) {
      return Optional.of(
          errorReply(
              NullNode.instance,
              ProtocolError.INVALID_REQUEST.error(
                  "\"id\" must be a string, a number or null; got " + describe(id))));
    }
    JsonNode replyId = id == null ? NullNode.instance : id;
    JsonNode version = request.get("jsonrpc");
    if (version == null || !version.isTextual() || !version.textValue().equals("2.0")) {
      String got = version == null ? "it is missing" : "got " + Wire.abbreviate(version);
      return Optional.of(
          errorReply(
              replyId, ProtocolError.INVALID_REQUEST.error("\"jsonrpc\" must be \"2.0\"; " + got)));
    }
    JsonNode method = request.get("method");
    if (method == null || !method.isTextual()) {
      String got = method == null ? "it is missing" : "got " + describe(method);
      return Optional.of(
          errorReply(
              replyId, ProtocolError.INVALID_REQUEST.error("\"method\" must be a string; " + got)));
    }
    JsonNode params = request.get("params");
    if (params != null && !params.isObject()) {
      RpcError error =
          ProtocolError.INVALID_PARAMS.error(
              "\"params\" of "
                  + Wire.abbreviate(method.textValue())
                  + " must be an object; got "
                  + describe(params));
      return id == null ? Optional.empty() : Optional.of(errorReply(replyId, error));
    }
    ObjectNode fields = params == null ? Wire.object() : (ObjectNode) params;
    JsonNode result;
    try {
      result =
          handler.handle(
              method.textValue(),
              fields,
              id == null ? NotificationSink.NONE : sink,
              id == null ? null : stream);
    } catch (RpcError e) {
      log.debug("{} failed: {}", method.textValue(), e.getMessage());
      return id == null ? Optional.empty() : Optional.of(errorReply(replyId, e));
    } catch (RuntimeException e) {
      log.error("{} failed unexpectedly", method.textValue(), e);
      RpcError error =
          ProtocolError.INTERNAL.error(
              method.textValue() + " failed unexpectedly (" + e + "); the daemon log has details");
      return id == null ? Optional.empty() : Optional.of(errorReply(replyId, error));
    }
    if (id == null) {
      return Optional.empty();
    }
    ObjectNode reply = envelope(replyId);
    reply.set("result", result);
    return Optional.of(Wire.bytes(reply));
  }

  /** The error reply line for a request with the given id ({@code null} when unknown). */
  public static byte[] errorReply(JsonNode id, RpcError error) {
    ObjectNode reply = envelope(id);
    ObjectNode body =
        reply.putObject("error").put("code", error.code()).put("message", error.getMessage());
    if (!error.kind().isEmpty()) {
      body.putObject("data").put("kind", error.kind());
    }
    return Wire.bytes(reply);
  }

  /** The id of a request line, or JSON null when the line has none that is usable. */
  public static JsonNode idOf(byte[] line) {
    try {
      JsonNode id = Wire.mapper().readTree(line).get("id");
      return id != null && (id.isTextual() || id.isNumber()) ? id : NullNode.instance;
    } catch (IOException | RuntimeException e) {
      return NullNode.instance;
    }
  }

  /** A notification line: {@code {"jsonrpc":"2.0","method":method,"params":params}}. */
  public static byte[] notification(String method, JsonNode params) {
    ObjectNode note = Wire.object().put("jsonrpc", "2.0").put("method", method);
    note.set("params", params);
    return Wire.bytes(note);
  }

  private static ObjectNode envelope(JsonNode id) {
    ObjectNode reply = Wire.object().put("jsonrpc", "2.0");
    reply.set("id", id);
    return reply;
  }

  private static RpcError parseError(String message) {
    return ProtocolError.PARSE_ERROR.error(message);
  }

  private static String describe(JsonNode node) {
    JsonNodeType type = node.getNodeType();
    String article = type == JsonNodeType.ARRAY || type == JsonNodeType.OBJECT ? "an " : "a ";
    return article + type.name().toLowerCase(Locale.ROOT) + " (" + Wire.abbreviate(node) + ")";
  }
}

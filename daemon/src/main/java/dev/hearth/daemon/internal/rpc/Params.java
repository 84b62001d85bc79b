package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.CoreException;
import dev.hearth.core.Sizes;
import dev.hearth.core.rpc.NotificationSink;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.RpcError;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.HearthException;
import java.util.Iterator;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request's {@code params} object with typed accessors. A missing or mistyped field is an {@link
 * HearthException.Kind#INVALID} error naming the method and the field.
 */
public final class Params {
  private final String method;
  private final ObjectNode fields;
  private final NotificationSink sink;
  private final RequestStream stream;

  public Params(String method, ObjectNode fields) {
    this(method, fields, NotificationSink.NONE, null);
  }

  public Params(String method, ObjectNode fields, NotificationSink sink) {
    this(method, fields, sink, null);
  }

  /**
   * @param stream the request's byte streams; null when it cannot stream (no id, no connection)
   */
  public Params(String method, ObjectNode fields, NotificationSink sink, RequestStream stream) {
    this.method = method;
    this.fields = fields;
    this.sink = sink;
    this.stream = stream;
  }

  public String method() {
    return method;
  }

  /** Where a streaming method sends its notifications. */
  public NotificationSink sink() {
    return sink;
  }

  /**
   * The request's byte streams (output notifications, the client's input).
   *
   * @throws RpcError invalid request when the request cannot stream: it has no id, or did not come
   *     on a connection
   */
  public RequestStream stream() {
    if (stream == null) {
      throw ErrorKind.INVALID_REQUEST.error(
          method + " streams its input and output: send it as a request with an \"id\"");
    }
    if (stream.id().toString().length() > RequestStream.MAX_ID_CHARS) {
      throw ErrorKind.INVALID_REQUEST.error(
          method
              + " streams under its request id, which may be at most "
              + RequestStream.MAX_ID_CHARS
              + " characters of JSON");
    }
    return stream;
  }

  /** For methods that take no params: fails when any field is given. */
  public void requireNone() {
    Iterator<String> names = fields.fieldNames();
    if (names.hasNext()) {
      throw HearthException.invalid(method + " takes no params; got '" + names.next() + "'");
    }
  }

  /** Fails when a field other than {@code allowed} is given, naming it and the allowed ones. */
  public void requireOnly(Set<String> allowed) {
    Iterator<String> names = fields.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw HearthException.invalid(
            method
                + " has no param '"
                + Wire.abbreviate(name)
                + "'; it takes "
                + String.join(", ", new TreeSet<>(allowed)));
      }
    }
  }

  /** The raw field, when present and not JSON null. */
  public Optional<JsonNode> node(String name) {
    JsonNode node = fields.get(name);
    return node == null || node.isNull() ? Optional.empty() : Optional.of(node);
  }

  /** A required string field. */
  public String string(String name) {
    return optionalString(name)
        .orElseThrow(() -> HearthException.invalid(method + " needs the param '" + name + "'"));
  }

  /** A string field, when present. */
  public Optional<String> optionalString(String name) {
    Optional<JsonNode> node = node(name);
    if (node.isPresent() && !node.get().isTextual()) {
      throw mistyped(name, "a string", node.get());
    }
    return node.map(JsonNode::textValue);
  }

  /** An integer field, or {@code defaultValue} when absent. */
  public long longValue(String name, long defaultValue) {
    JsonNode node = fields.get(name);
    if (node == null) {
      return defaultValue;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw mistyped(name, "an integer", node);
    }
    return node.longValue();
  }

  /** An integer field within {@code min..max}, or {@code defaultValue} when absent. */
  public long longValue(String name, long defaultValue, long min, long max) {
    long value = longValue(name, defaultValue);
    if (value < min || value > max) {
      throw HearthException.invalid(
          "param '"
              + name
              + "' of "
              + method
              + " must be "
              + min
              + " to "
              + max
              + "; got "
              + value);
    }
    return value;
  }

  /**
   * An optional size: a number of bytes, or a string such as {@code "10G"} ({@code Sizes.parse}).
   *
   * @param example a size the error message suggests, e.g. {@code "10G"}
   */
  public OptionalLong size(String name, String example) {
    Optional<JsonNode> node = node(name);
    if (node.isEmpty()) {
      return OptionalLong.empty();
    }
    JsonNode n = node.get();
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      return OptionalLong.of(n.longValue());
    }
    if (n.isTextual()) {
      try {
        return OptionalLong.of(Sizes.parse(n.textValue()));
      } catch (CoreException | IllegalArgumentException e) {
        throw invalid(name, e.getMessage());
      }
    }
    throw invalid(name, "give a size such as \"" + example + "\" or a number of bytes");
  }

  /** A boolean field, or {@code defaultValue} when absent. */
  public boolean bool(String name, boolean defaultValue) {
    Optional<JsonNode> node = node(name);
    if (node.isEmpty()) {
      return defaultValue;
    }
    if (!node.get().isBoolean()) {
      throw mistyped(name, "true or false", node.get());
    }
    return node.get().booleanValue();
  }

  /** The error for a field whose value is unusable, with why. */
  public RuntimeException invalid(String name, String why) {
    return HearthException.invalid("param '" + name + "' of " + method + ": " + why);
  }

  private RuntimeException mistyped(String name, String expected, JsonNode got) {
    return HearthException.invalid(
        "param '"
            + name
            + "' of "
            + method
            + " must be "
            + expected
            + "; got "
            + Wire.abbreviate(got));
  }
}

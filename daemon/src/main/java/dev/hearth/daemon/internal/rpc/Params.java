package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;

/**
 * A request's {@code params} object with typed accessors. A missing or mistyped field is an {@link
 * ErrorKind#INVALID_PARAMS} error naming the method and the field.
 */
public final class Params {
  private final String method;
  private final ObjectNode fields;

  public Params(String method, ObjectNode fields) {
    this.method = method;
    this.fields = fields;
  }

  public String method() {
    return method;
  }

  /** For methods that take no params: fails when any field is given. */
  public void requireNone() {
    Iterator<String> names = fields.fieldNames();
    if (names.hasNext()) {
      throw ErrorKind.INVALID_PARAMS.error(method + " takes no params; got '" + names.next() + "'");
    }
  }

  /** An integer field, or {@code defaultValue} when absent. */
  public long longValue(String name, long defaultValue) {
    JsonNode node = fields.get(name);
    if (node == null) {
      return defaultValue;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw ErrorKind.INVALID_PARAMS.error(
          "param '"
              + name
              + "' of "
              + method
              + " must be an integer; got "
              + Wire.abbreviate(node));
    }
    return node.longValue();
  }
}

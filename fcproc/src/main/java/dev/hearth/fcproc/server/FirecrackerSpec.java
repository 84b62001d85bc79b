package dev.hearth.fcproc.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.hearth.fcproc.FcprocException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Firecracker's own Swagger 2.0 description of its API (v1.16.1, bundled as a resource of this
 * module; a test keeps it byte-identical to the shared reference copy), and a validator that checks
 * a request against it the way Firecracker does: known path and method, JSON body, required fields,
 * no unknown fields (every request struct is deny_unknown_fields), field types and enums, and path
 * ids that are well formed and equal the id in the body.
 */
public final class FirecrackerSpec {
  public static final String FILE_NAME = "firecracker-api-v1.16.1.yaml";

  /** The Firecracker release the bundled spec describes. */
  public static final String VERSION = "1.16.1";

  private static final Pattern PATH_ID = Pattern.compile("[A-Za-z0-9_]+");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String source;
  private final JsonNode paths;
  private final JsonNode definitions;

  private FirecrackerSpec(String source, JsonNode root) {
    this.source = source;
    this.paths = root.path("paths");
    this.definitions = root.path("definitions");
    if (!paths.isObject() || !definitions.isObject()) {
      throw new FcprocException(
          source + " has no 'paths' or 'definitions': not the Firecracker spec");
    }
  }

  /** One operation of the spec. */
  public static final class Endpoint {
    private final String method;
    private final String template;
    private final Map<String, String> pathIds;
    private final JsonNode operation;

    Endpoint(String method, String template, Map<String, String> pathIds, JsonNode operation) {
      this.method = method;
      this.template = template;
      this.pathIds = Map.copyOf(pathIds);
      this.operation = operation;
    }

    public String method() {
      return method;
    }

    /** The spec's path, with {@code {name}} for the path ids. */
    public String template() {
      return template;
    }

    /** The path ids of the request, by the template's names. */
    public Map<String, String> pathIds() {
      return pathIds;
    }

    JsonNode operation() {
      return operation;
    }

    /**
     * "Pre-boot only" in the spec, plus logger and metrics, which Firecracker sets up before boot.
     */
    public boolean preBootOnly() {
      return summary().contains("Pre-boot only")
          || method.equals("PUT") && (template.equals("/logger") || template.equals("/metrics"));
    }

    public boolean postBootOnly() {
      return summary().contains("Post-boot only");
    }

    /** "METHOD /template", e.g. {@code PUT /drives/{drive_id}}. */
    public String operationName() {
      return method + " " + template;
    }

    private String summary() {
      return operation.path("summary").asText("");
    }
  }

  /** The copy bundled with this module. */
  public static FirecrackerSpec bundled() {
    try (InputStream in = FirecrackerSpec.class.getResourceAsStream(FILE_NAME)) {
      if (in == null) {
        throw new FcprocException(
            "the Firecracker API spec " + FILE_NAME + " is missing from the fcproc jar");
      }
      return new FirecrackerSpec("bundled " + FILE_NAME, yaml().readTree(in));
    } catch (IOException e) {
      throw new FcprocException("cannot read the bundled Firecracker API spec " + FILE_NAME, e);
    }
  }

  /** Loads a spec file, e.g. the shared reference copy. */
  public static FirecrackerSpec load(Path file) {
    try {
      return new FirecrackerSpec(file.toString(), yaml().readTree(file.toFile()));
    } catch (IOException e) {
      throw new FcprocException("cannot read the Firecracker API spec " + file, e);
    }
  }

  private static YAMLMapper yaml() {
    // YAML 1.1 would read the enum value Off (logger level) as the boolean false.
    return YAMLMapper.builder()
        .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
        .build();
  }

  /** Where the spec was read from, for messages. */
  public String source() {
    return source;
  }

  /** The operation a request addresses, if the spec has it. A query string is ignored. */
  public Optional<Endpoint> endpoint(String method, String requestPath) {
    String path = stripQuery(requestPath);
    String verb = method.toLowerCase(Locale.ROOT);
    Endpoint best = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = paths.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      JsonNode operation = entry.getValue().get(verb);
      if (operation == null) {
        continue;
      }
      Map<String, String> ids = match(entry.getKey(), path);
      if (ids != null && (best == null || ids.size() < best.pathIds().size())) {
        best = new Endpoint(method, entry.getKey(), ids, operation);
      }
    }
    return Optional.ofNullable(best);
  }

  /** Every (method, path template) pair of the spec, for listing what a test covers. */
  public List<String> operations() {
    List<String> all = new ArrayList<>();
    paths
        .properties()
        .forEach(
            e ->
                e.getValue()
                    .fieldNames()
                    .forEachRemaining(m -> all.add(m.toUpperCase(Locale.ROOT) + " " + e.getKey())));
    return all;
  }

  /**
   * Checks a request; empty when Firecracker would accept its shape, else the fault message.
   *
   * @param body the request body, "" or null when there is none
   */
  public Optional<String> validate(String method, String requestPath, String body) {
    Optional<Endpoint> found = endpoint(method, requestPath);
    if (found.isEmpty()) {
      return Optional.of(
          "Invalid request method and/or path: " + method + " " + stripQuery(requestPath) + ".");
    }
    Endpoint endpoint = found.get();
    for (Map.Entry<String, String> id : endpoint.pathIds().entrySet()) {
      if (!PATH_ID.matcher(id.getValue()).matches()) {
        return Optional.of(
            "Invalid ID: '"
                + id.getValue()
                + "' for "
                + id.getKey()
                + ": only ASCII letters, digits and '_' are allowed.");
      }
    }
    JsonNode bodyParameter = null;
    for (JsonNode parameter : endpoint.operation().path("parameters")) {
      if (parameter.path("in").asText().equals("body")) {
        bodyParameter = parameter;
      }
    }
    boolean hasBody = body != null && !body.isEmpty();
    if (bodyParameter == null) {
      return hasBody
          ? Optional.of(method + " " + endpoint.template() + " takes no request body.")
          : Optional.empty();
    }
    if (!hasBody) {
      return Optional.of("Empty " + method + " request.");
    }
    JsonNode value;
    try {
      value = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return Optional.of(
          "An error occurred when deserializing the json body of a request: "
              + e.getOriginalMessage()
              + ".");
    }
    List<String> errors = new ArrayList<>();
    check(value, bodyParameter.path("schema"), "body", errors);
    if (errors.isEmpty()) {
      for (Map.Entry<String, String> id : endpoint.pathIds().entrySet()) {
        JsonNode bodyId = value.get(id.getKey());
        if (bodyId != null && !bodyId.asText().equals(id.getValue())) {
          errors.add(
              "The id from the path ['"
                  + id.getValue()
                  + "'] does not match the id from the body ['"
                  + bodyId.asText()
                  + "']");
        }
      }
    }
    return errors.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", errors) + ".");
  }

  private void check(JsonNode value, JsonNode schema, String where, List<String> errors) {
    JsonNode ref = schema.get("$ref");
    if (ref != null) {
      String name = ref.asText().replaceFirst("^#/definitions/", "");
      JsonNode target = definitions.get(name);
      if (target == null) {
        throw new FcprocException(source + ": dangling $ref " + ref.asText());
      }
      check(value, target, where, errors);
      return;
    }
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> checkObject(value, schema, where, errors);
      case "array" -> {
        if (!value.isArray()) {
          errors.add(where + ": expected an array");
        } else {
          for (int i = 0; i < value.size(); i++) {
            check(value.get(i), schema.path("items"), where + "[" + i + "]", errors);
          }
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          errors.add(
              where
                  + ": expected a string, got "
                  + value.getNodeType().name().toLowerCase(Locale.ROOT));
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          errors.add(where + ": expected an integer, got " + value);
        } else {
          checkRange(value, schema, where, errors);
        }
      }
      case "number" -> {
        if (!value.isNumber()) {
          errors.add(where + ": expected a number, got " + value);
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          errors.add(where + ": expected a boolean, got " + value);
        }
      }
      case "" -> {
        // Untyped: only an enum, if any, constrains it.
      }
      default -> throw new FcprocException(source + ": unknown schema type '" + type + "'");
    }
    JsonNode allowed = schema.get("enum");
    if (allowed != null && value.isValueNode()) {
      List<String> names = new ArrayList<>();
      allowed.forEach(a -> names.add(a.asText()));
      if (!names.contains(value.asText())) {
        errors.add(where + ": unknown variant '" + value.asText() + "', expected one of " + names);
      }
    }
  }

  private void checkObject(JsonNode value, JsonNode schema, String where, List<String> errors) {
    if (!value.isObject()) {
      errors.add(where + ": expected an object");
      return;
    }
    for (JsonNode required : schema.path("required")) {
      if (!value.has(required.asText())) {
        errors.add(where + ": missing field `" + required.asText() + "`");
      }
    }
    JsonNode properties = schema.path("properties");
    boolean openObject = schema.path("additionalProperties").asBoolean(false);
    for (Iterator<Map.Entry<String, JsonNode>> it = value.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode fieldSchema = properties.get(field.getKey());
      if (fieldSchema == null) {
        if (!openObject) {
          errors.add(
              where
                  + ": unknown field `"
                  + field.getKey()
                  + "`, expected one of "
                  + fieldNames(properties));
        }
        continue;
      }
      check(field.getValue(), fieldSchema, where + "." + field.getKey(), errors);
    }
  }

  private static void checkRange(
      JsonNode value, JsonNode schema, String where, List<String> errors) {
    if (schema.has("minimum") && value.asLong() < schema.get("minimum").asLong()) {
      errors.add(where + ": " + value + " is below the minimum " + schema.get("minimum"));
    }
    if (schema.has("maximum") && value.asLong() > schema.get("maximum").asLong()) {
      errors.add(where + ": " + value + " is above the maximum " + schema.get("maximum"));
    }
  }

  private static List<String> fieldNames(JsonNode properties) {
    List<String> names = new ArrayList<>();
    properties.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** The path ids when {@code path} fits the template, else null. */
  private static Map<String, String> match(String template, String path) {
    String[] t = template.split("/", -1);
    String[] p = path.split("/", -1);
    if (t.length != p.length) {
      return null;
    }
    Map<String, String> ids = new LinkedHashMap<>();
    for (int i = 0; i < t.length; i++) {
      if (t[i].startsWith("{") && t[i].endsWith("}")) {
        if (p[i].isEmpty()) {
          return null;
        }
        ids.put(t[i].substring(1, t[i].length() - 1), p[i]);
      } else if (!t[i].equals(p[i])) {
        return null;
      }
    }
    return ids;
  }

  private static String stripQuery(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }
}

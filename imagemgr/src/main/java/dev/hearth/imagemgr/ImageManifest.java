package dev.hearth.imagemgr;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a published image holds, as written to {@code images/<name>/manifest.json}:
 *
 * <pre>
 * {"name": "base",
 *  "files": [{"name": "vmlinux", "sha256": "…", "size": 123}, …],
 *  "created_at": "2024-05-01T10:00:00Z",
 *  "boot_args": null}
 * </pre>
 */
public record ImageManifest(
    String name, List<Entry> files, Instant createdAt, Optional<String> bootArgs) {

  /** The manifest's file name in an image folder. */
  public static final String FILE_NAME = "manifest.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One file of the image. */
  public record Entry(ImageFile role, String sha256, long size) {
    public String fileName() {
      return role.fileName();
    }
  }

  public ImageManifest {
    files = List.copyOf(files);
  }

  /** The entry for a role, if the image has that file. */
  public Optional<Entry> file(ImageFile role) {
    return files.stream().filter(e -> e.role() == role).findFirst();
  }

  /** The sum of the files' sizes (apparent sizes: a sparse rootfs counts in full). */
  public long totalSize() {
    return files.stream().mapToLong(Entry::size).sum();
  }

  /**
   * Reads the manifest of a published image.
   *
   * @throws InvalidImageFileException naming the manifest when it is missing or malformed
   */
  public static ImageManifest read(Path imageDir) {
    Path file = imageDir.resolve(FILE_NAME);
    try {
      return fromJson(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      throw new InvalidImageFileException(file, "the image has no manifest");
    } catch (IOException e) {
      throw new InvalidImageFileException(file, "cannot read the manifest: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new InvalidImageFileException(file, "malformed manifest: " + e.getMessage());
    }
  }

  String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("name", name);
    ArrayNode array = root.putArray("files");
    for (Entry e : files) {
      array.addObject().put("name", e.fileName()).put("sha256", e.sha256()).put("size", e.size());
    }
    root.put("created_at", createdAt.toString());
    root.put("boot_args", bootArgs.orElse(null));
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serialises", e);
    }
  }

  static ImageManifest fromJson(String text) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    List<Entry> entries = new ArrayList<>();
    for (JsonNode f : required(root, "files")) {
      String fileName = required(f, "name").asText();
      ImageFile role = roleOf(fileName);
      entries.add(new Entry(role, required(f, "sha256").asText(), required(f, "size").asLong()));
    }
    Instant createdAt;
    try {
      createdAt = Instant.parse(required(root, "created_at").asText());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("created_at is not an ISO-8601 instant", e);
    }
    JsonNode bootArgs = root.get("boot_args");
    return new ImageManifest(
        required(root, "name").asText(),
        entries,
        createdAt,
        bootArgs == null || bootArgs.isNull() ? Optional.empty() : Optional.of(bootArgs.asText()));
  }

  private static ImageFile roleOf(String fileName) {
    for (ImageFile role : ImageFile.values()) {
      if (role.fileName().equals(fileName)) {
        return role;
      }
    }
    throw new IllegalArgumentException("unknown file '" + fileName + "'");
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("missing \"" + field + "\"");
    }
    return value;
  }
}

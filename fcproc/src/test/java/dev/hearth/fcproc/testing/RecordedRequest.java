package dev.hearth.fcproc.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One request the fake firecracker received, as recorded in {@code <api-sock>.requests} (one JSON
 * object per line).
 *
 * @param body the parsed JSON body, a text node when it was not JSON, null when there was none
 * @param status the status the fake answered
 */
public record RecordedRequest(String method, String path, JsonNode body, int status) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The file the fake serving {@code apiSocket} records its requests in. */
  public static Path logFor(Path apiSocket) {
    return apiSocket.resolveSibling(apiSocket.getFileName() + ".requests");
  }

  /** Every request recorded for the fake that served {@code apiSocket}, oldest first. */
  public static List<RecordedRequest> readAll(Path apiSocket) {
    Path file = logFor(apiSocket);
    List<RecordedRequest> all = new ArrayList<>();
    try {
      if (!Files.exists(file)) {
        return all;
      }
      for (String line : Files.readAllLines(file)) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode n = JSON.readTree(line);
        JsonNode body = n.get("body");
        all.add(
            new RecordedRequest(
                n.get("method").asText(),
                n.get("path").asText(),
                body == null || body.isNull() ? null : body,
                n.get("status").asInt()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return all;
  }

  /** "METHOD /path", for assertions on the order of calls. */
  public String endpoint() {
    return method + " " + path;
  }
}

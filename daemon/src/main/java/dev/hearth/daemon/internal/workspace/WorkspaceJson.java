package dev.hearth.daemon.internal.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.Workspace;
import dev.hearth.workspace.GuestStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** The wire form of workspaces, both ways. */
public final class WorkspaceJson {
  private WorkspaceJson() {}

  public static ObjectNode workspace(Workspace w) {
    return Wire.object()
        .put("vm", w.vm())
        .put("name", w.name())
        .put("guest_path", w.guestPath())
        .put("host_path", w.hostPath().toString())
        .put("branch", w.branch())
        .put("base_commit", w.baseCommit())
        .put("imported_at", w.importedAt().toString());
  }

  public static Workspace workspace(JsonNode n) {
    try {
      return new Workspace(
          text(n, "vm"),
          text(n, "name"),
          text(n, "guest_path"),
          Path.of(text(n, "host_path")),
          text(n, "branch"),
          text(n, "base_commit"),
          Instant.parse(text(n, "imported_at")));
    } catch (RuntimeException e) {
      throw protocol("a workspace", n, e);
    }
  }

  public static ObjectNode status(GuestStatus s) {
    ObjectNode o = Wire.object();
    s.branch().ifPresentOrElse(b -> o.put("branch", b), () -> o.putNull("branch"));
    s.head().ifPresentOrElse(h -> o.put("head", h), () -> o.putNull("head"));
    if (s.commitsSinceImport().isPresent()) {
      o.put("commits_since_import", s.commitsSinceImport().getAsInt());
    } else {
      o.putNull("commits_since_import");
    }
    ArrayNode commits = o.putArray("commits");
    s.commits().forEach(commits::add);
    ArrayNode changes = o.putArray("changes");
    s.changes().forEach(changes::add);
    return o;
  }

  public static GuestStatus status(JsonNode n) {
    try {
      return new GuestStatus(
          optional(n, "branch"),
          optional(n, "head"),
          n.path("commits_since_import").isInt()
              ? OptionalInt.of(n.get("commits_since_import").intValue())
              : OptionalInt.empty(),
          strings(n.get("commits")),
          strings(n.get("changes")));
    } catch (RuntimeException e) {
      throw protocol("a workspace status", n, e);
    }
  }

  private static Optional<String> optional(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.textValue());
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.textValue()));
    return out;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("no text field " + field);
    }
    return v.textValue();
  }

  private static HearthException protocol(String what, JsonNode n, RuntimeException e) {
    return new HearthException(
        HearthException.Kind.PROTOCOL,
        "the daemon sent "
            + what
            + " that cannot be read ("
            + e.getMessage()
            + "): "
            + Wire.abbreviate(n));
  }
}

package dev.hearth.daemon.internal.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.Session;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionList;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionStarted;
import dev.hearth.daemon.SessionState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The session records as JSON, both ways: {@code RemoteHearth} writes params and reads results with
 * it, and {@code HearthJson} writes results as the daemon answers them ({@code SessionRpc}'s
 * shapes, ARCHITECTURE.md "Guest sessions").
 */
public final class SessionJson {
  private SessionJson() {}

  /** {@code session.start}'s params. */
  public static ObjectNode start(SessionStart start) {
    ObjectNode o = Wire.object().put("vm", start.vm());
    start.name().ifPresent(n -> o.put("name", n));
    start.cwd().ifPresent(c -> o.put("cwd", c));
    ArrayNode argv = o.putArray("argv");
    start.argv().forEach(argv::add);
    ObjectNode env = o.putObject("env");
    start.env().forEach(env::put);
    return o;
  }

  public static ObjectNode started(SessionStarted started) {
    return Wire.object().put("id", started.id()).put("name", started.name().orElse(""));
  }

  public static SessionStarted started(JsonNode o) {
    String name = ApiJson.text(o, "name");
    return new SessionStarted(
        ApiJson.text(o, "id"), name.isEmpty() ? Optional.empty() : Optional.of(name));
  }

  public static ObjectNode session(Session s) {
    ObjectNode node =
        Wire.object()
            .put("id", s.id())
            .put("name", s.name().orElse(""))
            .put("state", s.state().wireName());
    putExitCode(node, s.exitCode());
    node.put("started_at", s.startedAt().toString());
    node.put("command", s.command());
    ArrayNode argv = node.putArray("argv");
    s.argv().forEach(argv::add);
    node.put("cwd", s.cwd().orElse(""));
    ObjectNode env = node.putObject("env");
    s.env().forEach(env::put);
    return node;
  }

  public static Session session(JsonNode o) {
    List<String> argv = new ArrayList<>();
    ApiJson.array(o, "argv").forEach(a -> argv.add(a.asText()));
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode envNode = o.get("env");
    if (envNode == null || !envNode.isObject()) {
      throw ApiJson.malformed("env", o);
    }
    envNode.properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    String name = ApiJson.text(o, "name");
    String cwd = ApiJson.text(o, "cwd");
    return new Session(
        ApiJson.text(o, "id"),
        name.isEmpty() ? Optional.empty() : Optional.of(name),
        SessionState.fromWireName(ApiJson.text(o, "state")),
        exitCode(o),
        ApiJson.instant(o, "started_at"),
        ApiJson.text(o, "command"),
        argv,
        cwd.isEmpty() ? Optional.empty() : Optional.of(cwd),
        env);
  }

  public static ObjectNode list(SessionList list) {
    ObjectNode result = Wire.object();
    ArrayNode sessions = result.putArray("sessions");
    list.sessions().forEach(l -> sessions.add(session(l.session()).put("vm", l.vm())));
    ArrayNode errors = result.putArray("errors");
    list.failures().forEach(f -> errors.addObject().put("vm", f.vm()).put("message", f.message()));
    return result;
  }

  public static SessionList list(JsonNode o) {
    List<SessionList.Listed> sessions = new ArrayList<>();
    ApiJson.array(o, "sessions")
        .forEach(s -> sessions.add(new SessionList.Listed(ApiJson.text(s, "vm"), session(s))));
    List<SessionList.Failure> failures = new ArrayList<>();
    ApiJson.array(o, "errors")
        .forEach(
            e ->
                failures.add(
                    new SessionList.Failure(ApiJson.text(e, "vm"), ApiJson.text(e, "message"))));
    return new SessionList(sessions, failures);
  }

  public static ObjectNode end(SessionEnd end) {
    ObjectNode o = Wire.object().put("state", end.state().wireName());
    putExitCode(o, end.exitCode());
    return o;
  }

  public static SessionEnd end(JsonNode o) {
    return new SessionEnd(SessionState.fromWireName(ApiJson.text(o, "state")), exitCode(o));
  }

  public static ObjectNode output(SessionOutput output) {
    ObjectNode o = Wire.object().put("next_offset", output.nextOffset());
    o.set("session", session(output.session()));
    return o;
  }

  public static SessionOutput output(JsonNode o) {
    JsonNode next = o.get("next_offset");
    if (next == null || !next.canConvertToLong()) {
      throw ApiJson.malformed("next_offset", o);
    }
    JsonNode session = o.get("session");
    if (session == null || !session.isObject()) {
      throw ApiJson.malformed("session", o);
    }
    return new SessionOutput(next.longValue(), session(session));
  }

  private static void putExitCode(ObjectNode o, OptionalInt code) {
    if (code.isPresent()) {
      o.put("exit_code", code.getAsInt());
    } else {
      o.putNull("exit_code");
    }
  }

  private static OptionalInt exitCode(JsonNode o) {
    JsonNode code = o.get("exit_code");
    if (code == null || code.isNull()) {
      return OptionalInt.empty();
    }
    if (!code.isInt()) {
      throw ApiJson.malformed("exit_code", o);
    }
    return OptionalInt.of(code.intValue());
  }
}

package dev.hearth.daemon.internal.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.RequestStream;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.internal.rpc.Params;
import dev.hearth.daemon.internal.rpc.SessionMethods;
import dev.hearth.session.Cancellation;
import dev.hearth.session.GuestSessions;
import dev.hearth.session.SessionInfo;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;

/** The {@code session.*} RPC methods: params in, JSON out, on {@link SessionService}. */
public final class SessionRpc implements SessionMethods {
  private final SessionService service;

  public SessionRpc(SessionService service) {
    this.service = service;
  }

  @Override
  public JsonNode start(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "name", "argv", "cwd", "env"));
    SessionInfo info =
        service.start(
            new SessionService.StartRequest(
                params.string("vm"),
                params.optionalString("name"),
                argv(params),
                params.optionalString("cwd"),
                env(params)));
    return Wire.object().put("id", info.id()).put("name", info.name().orElse(""));
  }

  @Override
  public JsonNode list(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm"));
    ObjectNode result = Wire.object();
    ArrayNode sessions = result.putArray("sessions");
    ArrayNode errors = result.putArray("errors");
    SessionService.AllSessions all =
        params.optionalString("vm").isPresent()
            ? service.list(params.string("vm"))
            : service.listAll();
    all.sessions().forEach(s -> sessions.add(session(s)));
    for (SessionService.ListFailure f : all.failures()) {
      ObjectNode error = errors.addObject().put("vm", f.vm().name());
      f.session().ifPresent(id -> error.put("session", id));
      error.put("message", f.message());
    }
    return result;
  }

  @Override
  public JsonNode attach(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "session", "from"));
    RequestStream stream = params.stream();
    long from = params.longValue("from", 0, 0, Long.MAX_VALUE);
    Cancellation cancel = cancellation(stream);
    try {
      return end(
          service.attach(
              params.string("vm"),
              params.string("session"),
              from,
              stream.input(),
              stream.output(1),
              cancel));
    } catch (CancellationException detached) {
      return Wire.object().put("detached", true);
    }
  }

  @Override
  public JsonNode write(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "session", "data", "eof"));
    byte[] data = new byte[0];
    if (params.optionalString("data").isPresent()) {
      try {
        data = Base64.getDecoder().decode(params.string("data"));
      } catch (IllegalArgumentException e) {
        throw params.invalid("data", "not valid base64: " + e.getMessage());
      }
    }
    boolean eof = params.bool("eof", false);
    if (data.length == 0 && !eof) {
      throw HearthException.invalid("session.write needs 'data' (base64), 'eof', or both");
    }
    service.write(params.string("vm"), params.string("session"), data, eof);
    return Wire.object().put("written", data.length).put("eof", eof);
  }

  @Override
  public JsonNode kill(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "session", "signal"));
    String signal =
        service.kill(
            params.string("vm"),
            params.string("session"),
            params.optionalString("signal").orElse("TERM"));
    return Wire.object().put("signal", signal);
  }

  @Override
  public JsonNode waitFor(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "session"));
    Cancellation cancel = cancellation(params.stream());
    try {
      GuestSessions.End end =
          service.waitFor(params.string("vm"), params.string("session"), cancel);
      ObjectNode result = Wire.object().put("state", end.state().word());
      if (end.exitCode().isPresent()) {
        result.put("exit_code", end.exitCode().getAsInt());
      } else {
        result.putNull("exit_code");
      }
      return result;
    } catch (CancellationException clientGone) {
      return Wire.object();
    }
  }

  @Override
  public JsonNode logs(Params params) throws InterruptedException {
    params.requireOnly(Set.of("vm", "session", "from", "follow"));
    RequestStream stream = params.stream();
    Cancellation cancel = cancellation(stream);
    try {
      return end(
          service.logs(
              params.string("vm"),
              params.string("session"),
              params.longValue("from", 0, 0, Long.MAX_VALUE),
              params.bool("follow", false),
              stream.output(1),
              cancel));
    } catch (CancellationException clientGone) {
      return Wire.object();
    }
  }

  private static Cancellation cancellation(RequestStream stream) {
    Cancellation cancel = new Cancellation();
    stream.onCancel(cancel::cancel);
    return cancel;
  }

  private static ObjectNode end(GuestSessions.LogEnd end) {
    ObjectNode result = Wire.object().put("next_offset", end.nextOffset());
    result.set("session", info(end.info()));
    return result;
  }

  private static ObjectNode session(SessionService.Listed listed) {
    ObjectNode node = info(listed.info());
    node.put("vm", listed.vm().name());
    return node;
  }

  static ObjectNode info(SessionInfo info) {
    ObjectNode node =
        Wire.object()
            .put("id", info.id())
            .put("name", info.name().orElse(""))
            .put("state", info.state().word());
    if (info.exitCode().isPresent()) {
      node.put("exit_code", info.exitCode().getAsInt());
    } else {
      node.putNull("exit_code");
    }
    node.put("started_at", info.startedAt().toString());
    node.put("command", info.commandLine());
    ArrayNode argv = node.putArray("argv");
    info.argv().forEach(argv::add);
    node.put("cwd", info.cwd().orElse(""));
    ObjectNode env = node.putObject("env");
    info.env().forEach(env::put);
    return node;
  }

  private static List<String> argv(Params params) {
    JsonNode node =
        params
            .node("argv")
            .orElseThrow(() -> HearthException.invalid("session.start needs the param 'argv'"));
    if (!node.isArray() || node.isEmpty()) {
      throw params.invalid("argv", "must be a non-empty array of strings");
    }
    List<String> argv = new ArrayList<>();
    for (JsonNode word : node) {
      if (!word.isTextual()) {
        throw params.invalid("argv", "must be an array of strings; got " + Wire.abbreviate(word));
      }
      argv.add(word.textValue());
    }
    return argv;
  }

  private static Map<String, String> env(Params params) {
    Map<String, String> env = new LinkedHashMap<>();
    if (params.node("env").isEmpty()) {
      return env;
    }
    JsonNode node = params.node("env").get();
    if (!node.isObject()) {
      throw params.invalid("env", "must be an object of strings");
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.properties().iterator();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!field.getValue().isTextual()) {
        throw params.invalid("env", "the value of " + field.getKey() + " must be a string");
      }
      env.put(field.getKey(), field.getValue().textValue());
    }
    return env;
  }
}

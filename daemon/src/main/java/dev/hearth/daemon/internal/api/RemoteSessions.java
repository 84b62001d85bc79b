package dev.hearth.daemon.internal.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.rpc.RpcClient;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.SessionAttachment;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionList;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionStarted;
import dev.hearth.daemon.Sessions;
import dev.hearth.daemon.internal.rpc.SessionJson;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

/**
 * {@link Sessions} over the socket. Quick calls share the hearth's connection; {@code
 * session.wait}, {@code session.logs} and {@code session.attach} stream, so each opens its own.
 */
final class RemoteSessions implements Sessions {
  /** Calls one quick method on the shared connection. */
  @FunctionalInterface
  interface Caller {
    JsonNode call(String method, ObjectNode params);
  }

  private final Path socket;
  private final Caller caller;

  RemoteSessions(Path socket, Caller caller) {
    this.socket = socket;
    this.caller = caller;
  }

  private static ObjectNode target(String vm, String session) {
    return Wire.object().put("vm", vm).put("session", session);
  }

  @Override
  public SessionStarted start(SessionStart start) {
    return SessionJson.started(caller.call("session.start", SessionJson.start(start)));
  }

  @Override
  public SessionList list(Optional<String> vm) {
    ObjectNode params = Wire.object();
    vm.ifPresent(v -> params.put("vm", v));
    return SessionJson.list(caller.call("session.list", params));
  }

  @Override
  public int write(String vm, String session, byte[] data, boolean eof) {
    ObjectNode params = target(vm, session);
    if (data.length > 0) {
      params.put("data", Base64.getEncoder().encodeToString(data));
    }
    if (eof) {
      params.put("eof", true);
    }
    return caller.call("session.write", params).path("written").asInt();
  }

  @Override
  public String kill(String vm, String session, Optional<String> signal) {
    ObjectNode params = target(vm, session);
    signal.ifPresent(s -> params.put("signal", s));
    return caller.call("session.kill", params).path("signal").asText();
  }

  @Override
  public SessionEnd await(String vm, String session) {
    return SessionJson.end(stream("session.wait", target(vm, session), (fd, b) -> {}));
  }

  @Override
  public SessionOutput logs(String vm, String session, long from, boolean follow, OutputSink out) {
    ObjectNode params = target(vm, session).put("from", from).put("follow", follow);
    return SessionJson.output(stream("session.logs", params, out));
  }

  /** A stream with no input, read to its end on a connection of its own. */
  private JsonNode stream(String method, ObjectNode params, OutputSink out) {
    try (HearthClient own = HearthClient.connect(socket)) {
      RpcClient.Stream stream = own.openStream(method, params.toString(), out::output);
      try (stream) {
        stream.closeInput();
        return RemoteHearth.parse(stream.awaitResult());
      }
    }
  }

  @Override
  public SessionAttachment attach(String vm, String session, long from, OutputSink out) {
    ObjectNode params = target(vm, session).put("from", from);
    HearthClient own = HearthClient.connect(socket);
    RpcClient.Stream stream;
    try {
      stream = own.openStream("session.attach", params.toString(), out::output);
    } catch (RuntimeException e) {
      own.close();
      throw e;
    }
    return new SessionAttachment() {
      private volatile boolean closed;

      @Override
      public void write(byte[] data, int offset, int length) {
        stream.write(data, offset, length);
      }

      @Override
      public void closeInput() {
        stream.closeInput();
      }

      @Override
      public Optional<SessionOutput> awaitEnd() {
        JsonNode result;
        try {
          result = RemoteHearth.parse(stream.awaitResult());
        } catch (RuntimeException e) {
          if (closed) {
            return Optional.empty();
          }
          throw e;
        }
        if (result.path("detached").asBoolean(false)) {
          return Optional.empty();
        }
        return Optional.of(SessionJson.output(result));
      }

      @Override
      public void close() {
        closed = true;
        try {
          stream.close();
        } finally {
          own.close();
        }
      }
    };
  }
}

package dev.hearth.daemon.internal.session;

import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.Session;
import dev.hearth.daemon.SessionAttachment;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionList;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionStarted;
import dev.hearth.daemon.SessionState;
import dev.hearth.daemon.Sessions;
import dev.hearth.daemon.internal.api.InputPipe;
import dev.hearth.session.Cancellation;
import dev.hearth.session.GuestSessions;
import dev.hearth.session.SessionInfo;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@link Sessions} in-process: the typed API on {@link SessionService}, as {@link SessionRpc} is
 * the wire's. A stream's client going away is a {@link Cancellation} there; here it is the caller's
 * {@link SessionAttachment#close()}.
 */
public final class LocalSessions implements Sessions {
  private final SessionService service;

  public LocalSessions(SessionService service) {
    this.service = service;
  }

  @Override
  public SessionStarted start(SessionStart start) throws InterruptedException {
    SessionInfo info =
        service.start(
            new SessionService.StartRequest(
                start.vm(), start.name(), start.argv(), start.cwd(), start.env()));
    return new SessionStarted(info.id(), info.name());
  }

  @Override
  public SessionList list(Optional<String> vm) throws InterruptedException {
    SessionService.AllSessions all = vm.isPresent() ? service.list(vm.get()) : service.listAll();
    return new SessionList(
        all.sessions().stream().map(LocalSessions::listed).toList(),
        all.failures().stream()
            .map(f -> new SessionList.Failure(f.vm().name(), f.message()))
            .toList());
  }

  @Override
  public int write(String vm, String session, byte[] data, boolean eof)
      throws InterruptedException {
    if (data.length == 0 && !eof) {
      throw HearthException.invalid("session.write needs 'data' (base64), 'eof', or both");
    }
    service.write(vm, session, data, eof);
    return data.length;
  }

  @Override
  public String kill(String vm, String session, Optional<String> signal)
      throws InterruptedException {
    return service.kill(vm, session, signal.orElse("TERM"));
  }

  @Override
  public SessionEnd await(String vm, String session) throws InterruptedException {
    GuestSessions.End end = service.waitFor(vm, session, Cancellation.never());
    return new SessionEnd(state(end.state()), end.exitCode());
  }

  @Override
  public SessionOutput logs(String vm, String session, long from, boolean follow, OutputSink out)
      throws InterruptedException {
    requireOffset("session.logs", from);
    return output(service.logs(vm, session, from, follow, sinkStream(out), Cancellation.never()));
  }

  @Override
  public SessionAttachment attach(String vm, String session, long from, OutputSink out) {
    requireOffset("session.attach", from);
    InputPipe input = new InputPipe();
    Cancellation detach = new Cancellation();
    CompletableFuture<SessionOutput> end = new CompletableFuture<>();
    Thread attach =
        new Thread(
            () -> {
              try {
                end.complete(
                    output(service.attach(vm, session, from, input, sinkStream(out), detach)));
              } catch (Throwable t) {
                end.completeExceptionally(t);
              }
            },
            "hearth-session-attach");
    attach.setDaemon(true);
    attach.start();
    return new SessionAttachment() {
      @Override
      public void write(byte[] data, int offset, int length) {
        input.write(data, offset, length);
      }

      @Override
      public void closeInput() {
        input.end();
      }

      @Override
      public Optional<SessionOutput> awaitEnd() throws InterruptedException {
        try {
          return Optional.of(end.get());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof CancellationException) {
            return Optional.empty();
          }
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw new HearthException(
              HearthException.Kind.INTERNAL, "attaching failed: " + e.getCause(), e.getCause());
        }
      }

      @Override
      public void close() {
        detach.cancel();
        input.close();
      }
    };
  }

  private static void requireOffset(String method, long from) {
    if (from < 0) {
      throw HearthException.invalid(
          "param 'from' of " + method + " must be 0 to " + Long.MAX_VALUE + "; got " + from);
    }
  }

  private static SessionList.Listed listed(SessionService.Listed listed) {
    return new SessionList.Listed(listed.vm().name(), session(listed.info()));
  }

  private static SessionOutput output(GuestSessions.LogEnd end) {
    return new SessionOutput(end.nextOffset(), session(end.info()));
  }

  /** A session as the API shows it. */
  static Session session(SessionInfo info) {
    return new Session(
        info.id(),
        info.name(),
        state(info.state()),
        info.exitCode(),
        info.startedAt(),
        info.commandLine(),
        info.argv(),
        info.cwd(),
        info.env());
  }

  private static SessionState state(dev.hearth.session.SessionState state) {
    return SessionState.fromWireName(state.word());
  }

  private static OutputStream sinkStream(OutputSink sink) {
    return new OutputStream() {
      @Override
      public void write(int b) {
        sink.output(1, new byte[] {(byte) b});
      }

      @Override
      public void write(byte[] b, int off, int len) {
        if (len > 0) {
          sink.output(1, Arrays.copyOfRange(b, off, off + len));
        }
      }
    };
  }
}

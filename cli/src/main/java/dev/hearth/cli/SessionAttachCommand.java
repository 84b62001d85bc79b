package dev.hearth.cli;

import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthException;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.Session;
import dev.hearth.daemon.SessionAttachment;
import dev.hearth.daemon.SessionOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth session attach}: replays a session's output from a byte offset, follows it, and
 * forwards what is typed, a line at a time with local echo and editing ({@link AttachInput}: the
 * session has no terminal). Ctrl-P Ctrl-Q detaches (as with Docker) and leaves the session running;
 * the terminal is put back as it was however the command ends.
 */
@Command(
    name = "attach",
    description = "Show a session's output and type into it; Ctrl-P Ctrl-Q detaches.")
final class SessionAttachCommand implements Callable<Integer> {
  @ParentCommand SessionCommand session;
  @Spec CommandSpec spec;

  @Mixin SessionTarget target;

  @Option(
      names = "--from",
      paramLabel = "OFFSET",
      description = "Replay the output from this byte offset (default 0: all of it).")
  long from;

  @Override
  public Integer call() throws InterruptedException {
    if (from < 0) {
      throw new ParameterException(spec.commandLine(), "--from must be 0 or more, not " + from);
    }
    HearthCommand hearth = session.hearth;
    Terminal terminal = hearth.env().terminal();
    boolean raw = terminal.stdinIsTerminal();
    CompletableFuture<Void> detached = new CompletableFuture<>();
    CompletableFuture<Optional<SessionOutput>> ended = new CompletableFuture<>();
    OutputStream out = terminal.stdout();
    Terminal.RawMode rawMode = raw ? terminal.enterRawMode() : null;
    try (Hearth api = hearth.hearth()) {
      SessionAttachment stream =
          api.sessions()
              .attach(target.vm, target.session, from, (fd, data) -> show(out, raw, data));
      try {
        Thread pump =
            new Thread(
                () -> forward(terminal, raw, () -> interrupt(hearth), stream, detached),
                "hearth-stdin");
        pump.setDaemon(true);
        pump.start();
        // The result is awaited apart, so that a detach need not wait for it.
        Thread reader =
            new Thread(
                () -> {
                  try {
                    ended.complete(stream.awaitEnd());
                  } catch (RuntimeException e) {
                    ended.completeExceptionally(e);
                  } catch (InterruptedException e) {
                    ended.completeExceptionally(e);
                  }
                },
                "hearth-attach");
        reader.setDaemon(true);
        reader.start();
        CompletableFuture.anyOf(detached, ended).join();
      } finally {
        stream.close();
      }
    } catch (CompletionException e) {
      throw unwrap(e);
    } finally {
      if (rawMode != null) {
        rawMode.close();
      }
    }
    PrintWriter err = hearth.err();
    boolean sessionEnded =
        ended.isDone() && !ended.isCompletedExceptionally() && ended.getNow(null).isPresent();
    if (detached.isDone() && !sessionEnded) {
      if (!hearth.quiet()) {
        err.println("hearth: detached from session " + target.session + "; it keeps running");
        err.flush();
      }
      return 0;
    }
    SessionOutput result;
    try {
      result =
          ended
              .get()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "the attachment to session " + target.session + " ended without it"));
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
    if (hearth.json()) {
      hearth.printJson(Json.node(HearthJson.of(result)));
    }
    Session session = result.session();
    return SessionCommand.exitCode(session.state(), session.exitCode(), target.session);
  }

  /** Forwards the typed input until the detach keys (which complete {@code detached}) or EOF. */
  private static void forward(
      Terminal terminal,
      boolean raw,
      Runnable interrupt,
      SessionAttachment stream,
      CompletableFuture<Void> detached) {
    AttachInput input =
        new AttachInput(
            raw, data -> stream.write(data, 0, data.length), terminal.stdout(), interrupt);
    try {
      AttachInput.End end = input.run(terminal.stdin());
      // A detach is recorded before the input closes: the daemon may end the attach as soon as
      // it sees the input's end, and that answer must not be taken for the session's.
      if (end == AttachInput.End.DETACH) {
        detached.complete(null);
      }
      // Either way the forwarding stops; the session's own stdin stays open.
      stream.closeInput();
    } catch (IOException | HearthException e) {
      // stdin failed or the stream has ended; the result says what matters.
    }
  }

  /** Ctrl-C: SIGINT to the session, on a connection of its own (this one streams). */
  private void interrupt(HearthCommand hearth) {
    try (Hearth api = hearth.hearth()) {
      api.sessions().kill(target.vm, target.session, Optional.of("INT"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (HearthException e) {
      // The session has ended meanwhile, say; the attach result tells.
    }
  }

  /**
   * The session's output for the terminal: in raw mode the terminal no longer turns a newline into
   * carriage return + newline, so this does (the session has no terminal to do it).
   */
  private static void show(OutputStream out, boolean raw, byte[] data) {
    byte[] shown = data;
    if (raw) {
      java.io.ByteArrayOutputStream converted = new java.io.ByteArrayOutputStream(data.length + 16);
      for (byte b : data) {
        if (b == '\n') {
          converted.write('\r');
        }
        converted.write(b);
      }
      shown = converted.toByteArray();
    }
    synchronized (out) {
      SessionCommand.write(out, shown);
    }
  }

  private static RuntimeException unwrap(Throwable e) {
    Throwable cause =
        (e instanceof CompletionException || e instanceof ExecutionException)
                && e.getCause() != null
            ? e.getCause()
            : e;
    return cause instanceof RuntimeException r
        ? r
        : new IllegalStateException("attaching failed: " + cause.getMessage(), cause);
  }
}

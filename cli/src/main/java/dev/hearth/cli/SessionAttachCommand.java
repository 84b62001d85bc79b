package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.daemon.DaemonException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth session attach}: replays a session's output from a byte offset, follows it, and
 * forwards what is typed. Ctrl-P Ctrl-Q detaches (as with Docker) and leaves the session running;
 * the terminal is put back as it was however the command ends.
 */
@Command(
    name = "attach",
    description = "Show a session's output and type into it; Ctrl-P Ctrl-Q detaches.")
final class SessionAttachCommand implements Callable<Integer> {
  static final int CTRL_P = 0x10;
  static final int CTRL_Q = 0x11;

  @ParentCommand SessionCommand session;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
  String vm;

  @Parameters(index = "1", paramLabel = "SESSION", description = "A session id, id prefix or name.")
  String target;

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
    ObjectNode params = SessionCommand.sessionParams(vm, target).put("from", from);
    boolean raw = terminal.stdinIsTerminal();
    CompletableFuture<Void> detached = new CompletableFuture<>();
    CompletableFuture<JsonNode> ended = new CompletableFuture<>();
    OutputStream out = terminal.stdout();
    Terminal.RawMode rawMode = raw ? terminal.enterRawMode() : null;
    try (DaemonConnection daemon = hearth.daemon()) {
      DaemonConnection.Stream stream =
          daemon.openStream(
              "session.attach", params, (fd, data) -> SessionCommand.write(out, data));
      try {
        Thread pump = new Thread(() -> forward(terminal.stdin(), stream, detached), "hearth-stdin");
        pump.setDaemon(true);
        pump.start();
        // The result is awaited apart, so that a detach need not wait for it.
        Thread reader =
            new Thread(
                () -> {
                  try {
                    ended.complete(stream.awaitResult());
                  } catch (RuntimeException e) {
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
    boolean sessionEnded = ended.isDone() && !ended.isCompletedExceptionally();
    if (detached.isDone() && !sessionEnded) {
      if (!hearth.quiet()) {
        err.println("hearth: detached from session " + target + "; it keeps running");
        err.flush();
      }
      return 0;
    }
    JsonNode result;
    try {
      result = ended.get();
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
    if (hearth.json()) {
      hearth.printJson(result);
    }
    return SessionCommand.exitCode(result.path("session"), target);
  }

  /**
   * Copies typed bytes to the session until Ctrl-P Ctrl-Q (detach) or the end of stdin. A Ctrl-P
   * not followed by Ctrl-Q is sent with the byte after it.
   */
  static void forward(InputStream stdin, DaemonConnection.Stream stream, CompletableFuture<Void> detached) {
    byte[] buffer = new byte[8192];
    byte[] send = new byte[buffer.length + 1];
    boolean pendingCtrlP = false;
    try {
      int n;
      while ((n = stdin.read(buffer)) >= 0) {
        int length = 0;
        for (int i = 0; i < n; i++) {
          int b = buffer[i] & 0xff;
          if (pendingCtrlP) {
            pendingCtrlP = false;
            if (b == CTRL_Q) {
              if (length > 0) {
                stream.write(send, 0, length);
              }
              stream.closeInput();
              detached.complete(null);
              return;
            }
            send[length++] = (byte) CTRL_P;
          }
          if (b == CTRL_P) {
            pendingCtrlP = true;
          } else {
            send[length++] = (byte) b;
          }
        }
        if (length > 0) {
          stream.write(send, 0, length);
        }
      }
      // stdin ended: stop forwarding; the session's own input stays open, the output goes on.
      stream.closeInput();
    } catch (IOException | DaemonException e) {
      // stdin failed or the stream has ended; the result says what matters.
    }
  }

  private static RuntimeException unwrap(Throwable e) {
    Throwable cause =
        (e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null
            ? e.getCause()
            : e;
    return cause instanceof RuntimeException r
        ? r
        : new DaemonException("attaching failed: " + cause.getMessage(), cause);
  }
}

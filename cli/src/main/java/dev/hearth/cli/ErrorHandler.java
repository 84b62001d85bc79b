package dev.hearth.cli;

import dev.hearth.core.Printable;
import dev.hearth.daemon.DaemonAlreadyRunningException;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.HearthException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.OptionalInt;
import picocli.CommandLine;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The one place that turns exceptions into exit codes and text: one line on stderr ("hearth:
 * message"), the stack trace only under --stacktrace; usage errors exit 2, everything else 1. The
 * message and the trace are escaped ({@link #escape}): a daemon's message may quote a guest.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
  /** JSON-RPC's code for invalid params: what the daemon answers an invalid value with. */
  private static final int INVALID_PARAMS_CODE = -32602;

  private final HearthCommand root;

  ErrorHandler(HearthCommand root) {
    this.root = root;
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    String help = cmd.getCommandSpec().qualifiedName() + " --help";
    report(cmd.getErr(), ex.getMessage() + " (see `" + help + "`)", ex);
    return ExitCode.USAGE;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    if (ex instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    report(cmd.getErr(), describe(ex), ex);
    return ExitCode.SOFTWARE;
  }

  private void report(PrintWriter err, String line, Exception ex) {
    err.println("hearth: " + escape(line));
    if (root.stacktrace()) {
      // The trace repeats the messages of the exception and its causes.
      StringWriter trace = new StringWriter();
      ex.printStackTrace(new PrintWriter(trace));
      err.print(escape(trace.toString()));
    }
    err.flush();
  }

  /**
   * A message for the terminal: control characters as {@link Printable#escape} shows them, but for
   * newline and tab, which keep a message of several lines (a guest script's stderr, a stack trace)
   * readable. What could drive a terminal (ESC, BEL, carriage return, backspace, C1) is escaped,
   * since a daemon's message may quote what a guest wrote.
   */
  static String escape(String message) {
    StringBuilder sb = new StringBuilder(message.length());
    int start = 0;
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (c == '\n' || c == '\t') {
        sb.append(Printable.escape(message.substring(start, i))).append(c);
        start = i + 1;
      }
    }
    return sb.append(Printable.escape(message.substring(start))).toString();
  }

  static String describe(Exception ex) {
    if (ex instanceof DaemonUnavailableException e) {
      return "no daemon is running at "
          + e.socket()
          + "; start one with `hearth daemon` (or `systemctl start hearth`)";
    }
    if (ex instanceof DaemonAlreadyRunningException e) {
      return e.pid() >= 0 && !e.getMessage().contains(Long.toString(e.pid()))
          ? e.getMessage() + " (pid " + e.pid() + ")"
          : plain(e);
    }
    if (ex instanceof DaemonException) {
      // The daemon process's own failure (hearth daemon, the local doctor): it names the file.
      return plain(ex);
    }
    if (ex instanceof HearthException e) {
      return describe(e);
    }
    if (ex instanceof InterruptedException) {
      return "interrupted";
    }
    return plain(ex);
  }

  /**
   * A failure of the typed API, as the CLI printed the daemon's errors before it used the API: the
   * message and the wire's kind, or its code for an error the wire gives no kind ({@code -32602}
   * for {@code invalid}, a protocol error's code such as {@code -32601}); client-side failures (no
   * daemon, another protocol, a malformed reply) as their message alone.
   */
  private static String describe(HearthException e) {
    OptionalInt wireCode = e.wireCode();
    return switch (e.kind()) {
      case UNAVAILABLE, CANCELLED -> plain(e);
      case PROTOCOL ->
          wireCode.isPresent() ? e.getMessage() + " (" + wireCode.getAsInt() + ")" : plain(e);
      case INVALID -> e.getMessage() + " (" + wireCode.orElse(INVALID_PARAMS_CODE) + ")";
      default -> e.getMessage() + " (" + e.kind().wireName() + ")";
    };
  }

  private static String plain(Exception ex) {
    String message = ex.getMessage();
    return message == null || message.isBlank() ? ex.getClass().getName() : message;
  }
}

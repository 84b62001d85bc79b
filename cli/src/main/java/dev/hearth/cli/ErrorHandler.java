package dev.hearth.cli;

import dev.hearth.daemon.DaemonAlreadyRunningException;
import dev.hearth.daemon.DaemonUnavailableException;
import dev.hearth.daemon.RpcException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The one place that turns exceptions into exit codes and text: one line on stderr ("hearth:
 * message"), the stack trace only under --stacktrace; usage errors exit 2, everything else 1.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
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
    err.println("hearth: " + line);
    if (root.stacktrace()) {
      ex.printStackTrace(err);
    }
    err.flush();
  }

  static String describe(Exception ex) {
    if (ex instanceof DaemonUnavailableException e) {
      return "no daemon is running at "
          + e.socket()
          + "; start one with `hearth daemon` (or `systemctl start hearth`)";
    }
    if (ex instanceof RpcException e) {
      String kind = e.kind().isEmpty() ? String.valueOf(e.code()) : e.kind();
      return e.getMessage() + " (" + kind + ")";
    }
    if (ex instanceof DaemonAlreadyRunningException e
        && e.pid() >= 0
        && !e.getMessage().contains(Long.toString(e.pid()))) {
      return e.getMessage() + " (pid " + e.pid() + ")";
    }
    if (ex instanceof InterruptedException) {
      return "interrupted";
    }
    String message = ex.getMessage();
    return message == null || message.isBlank() ? ex.getClass().getName() : message;
  }
}

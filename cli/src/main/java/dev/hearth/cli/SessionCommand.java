package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.SessionEnd;
import dev.hearth.daemon.SessionOutput;
import dev.hearth.daemon.SessionStart;
import dev.hearth.daemon.SessionStarted;
import dev.hearth.daemon.SessionState;
import dev.hearth.daemon.Sessions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hearth session ...}: long-running processes in a VM's guest that outlive the CLI and the
 * daemon (ARCHITECTURE.md, "Guest sessions").
 */
@Command(
    name = "session",
    description = "Run detached processes in a VM that survive disconnects; attach to them later.")
final class SessionCommand implements Callable<Integer> {
  /** Most bytes of stdin sent in one session.write (its base64 stays far below the line limit). */
  static final int WRITE_CHUNK_BYTES = 256 * 1024;

  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  /** Without a verb: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE;
  }

  /** The terminal's stdout, as the sink of a session's output. */
  static OutputSink stdout(HearthCommand hearth) {
    OutputStream out = hearth.env().terminal().stdout();
    return (fd, data) -> write(out, data);
  }

  static void write(OutputStream out, byte[] data) {
    try {
      out.write(data);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the session's output: " + e.getMessage(), e);
    }
  }

  @Command(
      name = "start",
      description = "Start CMD in the VM as a detached session; prints its id at once.")
  static final class Start implements Callable<Integer> {
    @ParentCommand SessionCommand session;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "VM", description = "A VM name or a unique id prefix.")
    String vm;

    @Parameters(
        index = "1..*",
        paramLabel = "CMD",
        description = "The command and its arguments (after --), passed exactly.")
    List<String> command = new ArrayList<>();

    @Option(
        names = "--name",
        paramLabel = "N",
        description = "A name, unique among the VM's running sessions.")
    String name;

    @Option(names = "--cwd", paramLabel = "DIR", description = "Absolute guest folder to run in.")
    String cwd;

    @Option(
        names = {"-e", "--env"},
        paramLabel = "K=V",
        description = "A variable for the command (repeatable).")
    List<String> env = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
      if (command.isEmpty()) {
        throw new ParameterException(
            spec.commandLine(),
            "give the command after --, e.g. hearth session start demo -- make");
      }
      Map<String, String> variables = new LinkedHashMap<>();
      for (String pair : env) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new ParameterException(
              spec.commandLine(), "--env takes NAME=VALUE; got '" + pair + "'");
        }
        variables.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
      SessionStart start =
          new SessionStart(
              vm, Optional.ofNullable(name), command, Optional.ofNullable(cwd), variables);
      SessionStarted started;
      try (Hearth api = session.hearth.hearth()) {
        started = api.sessions().start(start);
      }
      if (session.hearth.json()) {
        session.hearth.printJson(Json.node(HearthJson.of(started)));
      } else {
        session.hearth.out().println(started.id());
        session.hearth.out().flush();
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "List the sessions of a VM, or of every running VM.")
  static final class ListSessions implements Callable<Integer> {
    @ParentCommand SessionCommand session;

    @Parameters(arity = "0..1", paramLabel = "VM", description = "A VM name or id prefix.")
    String vm;

    @Override
    public Integer call() throws InterruptedException {
      HearthCommand hearth = session.hearth;
      JsonNode answer;
      try (Hearth api = hearth.hearth()) {
        answer = Json.node(HearthJson.of(api.sessions().list(Optional.ofNullable(vm))));
      }
      if (hearth.json()) {
        hearth.printJson(answer.path("sessions"));
      } else {
        SessionView.table(answer.path("sessions"), vm == null, hearth.now())
            .print(hearth.out(), hearth.style());
      }
      for (JsonNode error : answer.path("errors")) {
        // The message may quote a guest (its script's stderr): escaped as the error handler does.
        hearth
            .err()
            .println(
                "hearth: "
                    + ErrorHandler.escape(
                        "cannot list the sessions of VM "
                            + Json.text(error, "vm")
                            + ": "
                            + Json.text(error, "message")));
      }
      hearth.err().flush();
      return answer.path("errors").isEmpty() ? 0 : 1;
    }
  }

  @Command(
      name = "write",
      description = "Write TEXT (and a newline) to a session's stdin, or stdin with --stdin.")
  static final class Write implements Callable<Integer> {
    @ParentCommand SessionCommand session;
    @Spec CommandSpec spec;

    @Mixin SessionTarget target;

    @Parameters(index = "2..*", paramLabel = "TEXT", description = "Words sent joined by spaces.")
    List<String> text = new ArrayList<>();

    @Option(names = "--stdin", description = "Send this command's stdin instead of TEXT.")
    boolean stdin;

    @Option(names = "-n", description = "No newline after TEXT.")
    boolean noNewline;

    @Option(
        names = "--eof",
        description = "Then close the session's stdin (the command reads EOF).")
    boolean eof;

    @Override
    public Integer call() throws InterruptedException {
      if (stdin && !text.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "give TEXT or --stdin, not both");
      }
      if (!stdin && text.isEmpty() && !eof) {
        throw new ParameterException(spec.commandLine(), "give TEXT, --stdin or --eof");
      }
      long sent = 0;
      try (Hearth api = session.hearth.hearth()) {
        Sessions sessions = api.sessions();
        if (stdin) {
          InputStream in = session.hearth.env().terminal().stdin();
          byte[] buffer = new byte[WRITE_CHUNK_BYTES];
          int n;
          try {
            while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
              send(sessions, Arrays.copyOf(buffer, n));
              sent += n;
            }
          } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
          }
        } else if (!text.isEmpty()) {
          byte[] data =
              (String.join(" ", text) + (noNewline ? "" : "\n")).getBytes(StandardCharsets.UTF_8);
          send(sessions, data);
          sent += data.length;
        }
        if (eof) {
          sessions.write(target.vm, target.session, new byte[0], true);
        }
      }
      session.hearth.say(
          "wrote "
              + sent
              + " byte"
              + (sent == 1 ? "" : "s")
              + (eof ? " and closed the input" : ""));
      return 0;
    }

    private void send(Sessions sessions, byte[] data) throws InterruptedException {
      sessions.write(target.vm, target.session, data, false);
    }
  }

  @Command(name = "kill", description = "Send a signal (default TERM) to a session's processes.")
  static final class Kill implements Callable<Integer> {
    @ParentCommand SessionCommand session;

    @Mixin SessionTarget target;

    @Option(
        names = {"-s", "--signal"},
        paramLabel = "SIG",
        description =
            "HUP, INT, QUIT, KILL, USR1, USR2, PIPE, ALRM, TERM, CONT, STOP, TSTP, WINCH.")
    String signal;

    @Override
    public Integer call() throws InterruptedException {
      return VmCommand.confirm(
          session.hearth,
          h -> h.sessions().kill(target.vm, target.session, Optional.ofNullable(signal)),
          sent -> Json.object().put("signal", sent).toString(),
          sent -> "sent " + sent + " to session " + target.session);
    }
  }

  @Command(name = "wait", description = "Wait until a session ends; exits with its exit code.")
  static final class Wait implements Callable<Integer> {
    @ParentCommand SessionCommand session;

    @Mixin SessionTarget target;

    @Override
    public Integer call() throws InterruptedException {
      SessionEnd end;
      try (Hearth api = session.hearth.hearth()) {
        end = api.sessions().await(target.vm, target.session);
      }
      if (session.hearth.json()) {
        session.hearth.printJson(Json.node(HearthJson.of(end)));
      }
      return exitCode(end.state(), end.exitCode(), target.session);
    }
  }

  /** The session's exit code; a lost session is an error. */
  static int exitCode(SessionState state, OptionalInt exitCode, String session) {
    if (state == SessionState.LOST) {
      throw new SessionLostException(
          "session "
              + session
              + " was lost: its guest restarted or its processes were killed inside the guest,"
              + " so its exit code is unknown");
    }
    return exitCode.orElse(0);
  }

  @Command(
      name = "logs",
      description = {
        "Print a session's output (from --from bytes), following it with --follow.",
        "On a terminal, escape sequences and control characters are left out (--raw keeps them)."
      })
  static final class Logs implements Callable<Integer> {
    @ParentCommand SessionCommand session;
    @Spec CommandSpec spec;

    @Mixin SessionTarget target;

    @Option(
        names = {"-f", "--follow"},
        description = "Keep printing output as it comes, until the session ends or Ctrl-C.")
    boolean follow;

    @Option(names = "--from", paramLabel = "OFFSET", description = "Start at this byte offset.")
    long from;

    @Option(
        names = "--raw",
        description =
            "Write the session's bytes as they are, escape sequences included, even to a"
                + " terminal.")
    boolean raw;

    @Override
    public Integer call() throws InterruptedException {
      if (from < 0) {
        throw new ParameterException(spec.commandLine(), "--from must be 0 or more, not " + from);
      }
      SessionOutput end;
      // On a terminal the guest's escape sequences are stripped (GuestLogOutput), unless --raw.
      GuestLogOutput output = GuestLogOutput.of(session.hearth.env().terminal(), raw);
      try (Hearth api = session.hearth.hearth()) {
        end =
            api.sessions()
                .logs(target.vm, target.session, from, follow, (fd, data) -> output.write(data));
      }
      output.finish();
      if (session.hearth.json()) {
        session.hearth.printJson(Json.node(HearthJson.of(end)));
      }
      return 0;
    }
  }

  /** A session that can report no exit code. */
  static final class SessionLostException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SessionLostException(String message) {
      super(message);
    }
  }
}

package dev.hearth.session;

import static dev.hearth.core.ShellQuote.quote;

import dev.hearth.core.Printable;
import dev.hearth.core.ShellQuote;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The POSIX sh scripts that manage sessions in a guest, every value through {@link ShellQuote}.
 * Each script is run by {@code sh -c} (over SSH in a real guest) and reports a refusal as one
 * {@code hearth-error: KIND [ARG]} line on stderr with exit status 3, which {@link FormatStepError}
 * turns into a message.
 *
 * <p>A session runs as: {@code setsid -f sh -c WRAPPER} (util-linux setsid) (the wrapper, leader of
 * its own session) which starts a holder process that keeps the stdin FIFO open read-write (so the
 * command never sees EOF between two writes), then runs {@code setsid sh -c 'record pid; cd;
 * export; exec CMD'} in the foreground with stdin from the FIFO and stdout and stderr appended to
 * the log. The command thus leads its own process group (the target of {@code kill}), and is the
 * wrapper's child, so the wrapper gets its status, ends the holder and writes the exit file by tmp
 * + rename.
 */
public final class SessionScripts {
  /** Exit status of a script that refused with a {@code hearth-error:} line. */
  public static final int REFUSED = 3;

  /**
   * The largest meta file the list script prints. A real one is far smaller: the start script
   * writes it from one {@code sh -c} argument, which Linux caps at 128 KiB. A larger one is
   * reported as a {@code broken} record, its bytes never sent.
   */
  public static final int META_LIMIT = 256 * 1024;

  /** The most bytes read of a small file a script only tests (pid, boot id, name, exit code). */
  static final int SMALL_FILE_LIMIT = 4096;

  /** How often the follow and wait loops look at the session folder. */
  static final String POLL_SECONDS = "0.1";

  /** The default bound of a session's log ({@code session_log_max_size}'s default). */
  public static final long DEFAULT_LOG_MAX_BYTES = 16L << 20;

  /** The smallest log bound; a smaller one counts as this. */
  static final long MIN_LOG_MAX_BYTES = 8192;

  /** How often the log trimmer looks at a running session's log. */
  static final String TRIM_SECONDS = "1";

  /** The prefix of the stderr line by which the logs and follow scripts report dropped bytes. */
  static final String SKIPPED = "hearth-skipped ";

  /**
   * The log trimmer, a background loop of the wrapper while it lives (its {@code $$}): when the log
   * holds more than {@code $max} bytes past {@code log.start}, it announces a new start (half the
   * bound before the end, on a 4 KiB block) in {@code log.start}, and on its next round punches out
   * everything before the start it announced on the previous one (util-linux {@code fallocate}), so
   * that a reader that has just read the old start is not handed zeros. Byte offsets stay those of
   * the whole output (the file is sparse), so readers need no mapping.
   */
  private static final String TRIMMER =
      String.join(
          "\n",
          "(",
          "  start=0 punched=0",
          "  while kill -0 $$ 2>/dev/null; do",
          "    sleep " + TRIM_SECONDS,
          "    if [ \"$start\" -gt \"$punched\" ]; then",
          "      fallocate -p -o 0 -l \"$start\" \"$d/log\" && punched=$start",
          "    fi",
          "    size=$(wc -c < \"$d/log\") || continue",
          "    if [ $((size - start)) -gt \"$max\" ]; then",
          "      start=$(((size - max / 2) / 4096 * 4096))",
          "      printf '%s\\n' \"$start\" > \"$d/log.start.tmp\" &&",
          "        mv \"$d/log.start.tmp\" \"$d/log.start\"",
          "    fi",
          "  done",
          ") </dev/null >/dev/null 2>&1 &",
          "trimmer=$!");

  private static final String WRAPPER =
      String.join(
          "\n",
          "d=$1 max=$2",
          "shift 2",
          "printf '%s\\n' \"$$\" > \"$d/wrapper.pid\"",
          // The holder is one process keeping the FIFO open for writing: killing it is EOF.
          "sleep 2147483647 3<>\"$d/stdin\" </dev/null >/dev/null 2>&1 &",
          "printf '%s\\n' \"$!\" > \"$d/holder.pid\"",
          TRIMMER,
          "setsid sh -c \"$1\" hearth-command \"$d\" < \"$d/stdin\" >> \"$d/log\" 2>&1",
          "code=$?",
          "kill \"$(head -c 64 \"$d/holder.pid\")\" \"$trimmer\" 2>/dev/null",
          "printf '%s\\n' \"$code\" > \"$d/exit.tmp\" && mv \"$d/exit.tmp\" \"$d/exit\"",
          "");

  private static final java.util.regex.Pattern VARIABLE =
      java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final SessionLayout layout;
  private final List<String> privateVariables;
  private final long logMaxBytes;

  public SessionScripts(SessionLayout layout) {
    this(layout, List.of());
  }

  public SessionScripts(SessionLayout layout, List<String> privateVariables) {
    this(layout, privateVariables, DEFAULT_LOG_MAX_BYTES);
  }

  /**
   * @param privateVariables variables of the scripts' own environment that sessions must not
   *     inherit (the one a transport marks its commands with, say)
   * @param logMaxBytes the most a session's log keeps on the guest's disk (see the trimmer; at
   *     least {@value #MIN_LOG_MAX_BYTES}); older output is dropped, its offsets still counted
   */
  public SessionScripts(SessionLayout layout, List<String> privateVariables, long logMaxBytes) {
    this.layout = Objects.requireNonNull(layout, "layout");
    // Under two blocks the trimmer's half-bound start would never move past a block.
    this.logMaxBytes = Math.max(MIN_LOG_MAX_BYTES, logMaxBytes);
    for (String name : privateVariables) {
      if (!VARIABLE.matcher(name).matches()) {
        throw new InvalidSessionRequestException(
            "invalid environment variable name '" + Printable.of(name) + "'");
      }
    }
    this.privateVariables = List.copyOf(privateVariables);
  }

  public SessionLayout layout() {
    return layout;
  }

  /**
   * Starts the session and prints its id as soon as the command's process exists. Refusals: {@code
   * name-taken ID} (a running session has the name), {@code no-cwd}, {@code no-command}, {@code
   * exists}, {@code no-boot-id}, {@code not-started}.
   */
  public String start(SessionSpec spec) {
    String dir = layout.dir(spec.id());
    String staging = layout.root() + "/.new-" + spec.id();
    StringBuilder s = new StringBuilder(prelude());
    s.append("root=").append(quote(layout.root())).append('\n');
    s.append("d=").append(quote(dir)).append('\n');
    s.append("new=").append(quote(staging)).append('\n');
    s.append("[ -n \"$boot\" ] || fail no-boot-id\n");
    s.append("umask 077\n");
    s.append("mkdir -p \"$root\" || fail no-root\n");
    if (spec.name().isPresent()) {
      s.append("name=").append(quote(spec.name().get())).append('\n');
      s.append("for o in \"$root\"/*; do\n");
      s.append("  [ -f \"$o/name\" ] && [ \"$(small \"$o/name\")\" = \"$name\" ] || continue\n");
      s.append("  [ \"$(session_state \"$o\")\" = running ] && fail name-taken \"${o##*/}\"\n");
      s.append("done\n");
    }
    // The command must be found with the session's folder and environment, as it will run.
    s.append("( ").append(cdAndExport(spec)).append("command -v ");
    s.append(quote(spec.argv().get(0))).append(" ) >/dev/null 2>&1 || ");
    s.append(
        spec.cwd().isPresent() ? "{ ( cd " + quote(spec.cwd().get()) + " ) 2>/dev/null" : "{ :");
    s.append(" || fail no-cwd; fail no-command; }\n");
    s.append("[ -e \"$d\" ] && fail exists\n");
    s.append("rm -rf \"$new\"; mkdir \"$new\" || fail no-root\n");
    s.append("trap 'rm -rf \"$new\"' EXIT\n");
    s.append("printf '%s' ").append(quote(metadata(spec))).append(" > \"$new/meta\" &&\n");
    s.append("printf '%s\\n' \"$boot\" > \"$new/boot\" &&\n");
    if (spec.name().isPresent()) {
      s.append("printf '%s\\n' \"$name\" > \"$new/name\" &&\n");
    }
    s.append("mkfifo \"$new/stdin\" && : > \"$new/log\" && mv \"$new\" \"$d\" || fail no-root\n");
    s.append("trap - EXIT\n");
    for (String name : privateVariables) {
      s.append("unset ").append(name).append('\n');
    }
    // setsid -f rather than '&': an asynchronous list would start with SIGINT and SIGQUIT
    // ignored, which the command would inherit and could not undo.
    s.append("setsid -f sh -c ").append(quote(WRAPPER)).append(" hearth-session \"$d\" ");
    s.append(logMaxBytes).append(' ');
    s.append(quote(inner(spec))).append(" </dev/null >/dev/null 2>\"$d/wrapper.err\"\n");
    // Wait for the command's pid, so that kill and write work as soon as the id is known.
    s.append("i=0\n");
    s.append("while [ ! -f \"$d/pid\" ] && [ ! -f \"$d/exit\" ]; do\n");
    s.append("  i=$((i + 1)); [ $i -gt 300 ] && fail not-started\n");
    s.append("  sleep 0.02\n");
    s.append("done\n");
    s.append("printf '%s\\n' ").append(quote(spec.id())).append('\n');
    return s.toString();
  }

  /**
   * Lists every session: a {@code boot ID} line, then per session {@code session ID}, its metadata
   * lines each prefixed with {@code m } (so that no guest file can forge a framing line), {@code
   * state WORD}, {@code exit CODE} when it exited, and {@code end}. A meta file larger than {@link
   * #META_LIMIT} is not printed: its record says {@code broken meta-too-large LIMIT} instead. Parse
   * with {@link SessionListing#parse}.
   */
  public String list() {
    return prelude()
        + "root="
        + quote(layout.root())
        + "\n"
        + "printf 'boot %s\\n' \"$boot\"\n"
        + "[ -d \"$root\" ] || exit 0\n"
        + "for d in \"$root\"/*; do\n"
        + "  case \"${d##*/}\" in *[!0-9a-f]*) continue ;; esac\n"
        + "  [ -f \"$d/meta\" ] || continue\n"
        + "  printf 'session %s\\n' \"${d##*/}\"\n"
        + "  n=$(head -c "
        + (META_LIMIT + 1)
        + " \"$d/meta\" | wc -c)\n"
        + "  if [ $n -gt "
        + META_LIMIT
        + " ]; then\n"
        + "    printf 'broken meta-too-large %s\\n' "
        + META_LIMIT
        + "\n"
        + "  else\n"
        + "    head -c "
        + META_LIMIT
        + " \"$d/meta\" | while IFS= read -r l || [ -n \"$l\" ]; do printf 'm %s\\n' \"$l\"; done\n"
        + "  fi\n"
        + "  printf 'state %s\\n' \"$(session_state \"$d\")\"\n"
        + "  if [ -f \"$d/exit\" ]; then\n"
        + "    e=$(small \"$d/exit\"); case $e in *[!0-9]*) e=unreadable ;; esac\n"
        + "    printf 'exit %s\\n' \"$e\"\n"
        + "  fi\n"
        + "  printf 'end\\n'\n"
        + "done\n"
        + "exit 0\n";
  }

  /**
   * Writes the script's stdin into the session's FIFO. Blocks while the FIFO is full (the command
   * reads slower than it is fed). Refusals: {@code not-found}, {@code not-running STATE}, {@code
   * stdin-closed}.
   */
  public String write(String id) {
    return session(id, true)
        + "[ -e \"$d/stdin-closed\" ] && fail stdin-closed\n"
        + "exec 3<>\"$d/stdin\" || fail no-stdin\n"
        + "cat >&3\n";
  }

  /** Closes the session's stdin: the command reads EOF once it has read what was written. */
  public String closeStdin(String id) {
    return session(id, true)
        + ": > \"$d/stdin-closed\"\n"
        + "kill \"$(small \"$d/holder.pid\")\" 2>/dev/null\n"
        + "exit 0\n";
  }

  /** Sends a signal to the command's process group. */
  public String kill(String id, String signal) {
    String name = SessionSignal.parse(signal);
    return session(id, true)
        + "kill -s "
        + name
        + " -- \"-$(small \"$d/pid\")\" || fail kill-failed\n";
  }

  /** Waits until the session ends; prints {@code exited CODE} or {@code lost}. */
  public String waitFor(String id) {
    return session(id, false)
        + "while st=$(session_state \"$d\"); [ \"$st\" = running ]; do sleep "
        + POLL_SECONDS
        + "; done\n"
        + "if [ \"$st\" = exited ]; then printf 'exited %s\\n' \"$(small \"$d/exit\")\";"
        + " else printf 'lost\\n'; fi\n";
  }

  /**
   * Prints the log from byte {@code offset} to its current end. Bytes the trimmer dropped are
   * skipped and counted on stderr ({@link #skipped}).
   */
  public String logs(String id, long offset) {
    requireOffset(offset);
    return session(id, false)
        + "off="
        + offset
        + " skipped=0\n"
        + SKIP
        + "tail -c +$((off + 1)) \"$d/log\"\n"
        + REPORT_SKIPPED;
  }

  /** Moves {@code off} past what the trimmer dropped, counting it in {@code skipped}. */
  private static final String SKIP =
      "start=$(small \"$d/log.start\"); case $start in ''|*[!0-9]*) start=0 ;; esac\n"
          + "if [ \"$off\" -lt \"$start\" ]; then skipped=$((skipped + start - off)); off=$start; fi\n";

  private static final String REPORT_SKIPPED =
      "[ \"$skipped\" -gt 0 ] && printf '" + SKIPPED + "%s\\n' \"$skipped\" >&2\nexit 0\n";

  /**
   * The bytes that the logs or follow script reported as dropped from the log (the trimmer's), 0
   * when none: the next offset is the start offset plus these plus the bytes printed.
   */
  public static long skipped(String stderr) {
    long total = 0;
    for (String line : stderr.split("\n")) {
      if (line.startsWith(SKIPPED)) {
        try {
          long n = Long.parseLong(line.substring(SKIPPED.length()).strip());
          // The line comes through the guest: only a count the host can add up is taken.
          if (n > 0) {
            total = Math.addExact(total, n);
          }
        } catch (NumberFormatException | ArithmeticException e) {
          // Not the script's line (a guest's own stderr noise), or past any real log: counts
          // nothing.
        }
      }
    }
    return total;
  }

  /**
   * Where the log stands after a logs or follow script from {@code offset} that printed {@code
   * sent} bytes and reported on {@code stderr} what it {@link #skipped}.
   *
   * @throws SessionOutputException when that is past the largest offset a log can have: no trimmer
   *     drops so much, the guest forged the count ({@code script} names the script in the message)
   */
  public static long nextOffset(long offset, String stderr, long sent, String script) {
    long skipped = skipped(stderr);
    try {
      return Math.addExact(Math.addExact(offset, skipped), sent);
    } catch (ArithmeticException e) {
      throw new SessionOutputException(
          script
              + " reported "
              + skipped
              + " bytes skipped from offset "
              + offset
              + " and printed "
              + sent
              + ": past the largest offset a log can have");
    }
  }

  /**
   * Prints the log from byte {@code offset}, then what the command writes, until the session is no
   * longer running (its last output included).
   */
  public String follow(String id, long offset) {
    requireOffset(offset);
    return session(id, false)
        + "off="
        + offset
        + " skipped=0\n"
        + "while :; do\n"
        + "  st=$(session_state \"$d\")\n"
        + "  size=$(wc -c < \"$d/log\")\n"
        + SKIP
        + "  if [ \"$size\" -gt \"$off\" ]; then\n"
        + "    tail -c +$((off + 1)) \"$d/log\" | head -c $((size - off)) || exit 1\n"
        + "    off=$size\n"
        + "  fi\n"
        + "  [ \"$st\" = running ] || break\n"
        + "  sleep "
        + POLL_SECONDS
        + "\n"
        + "done\n"
        + REPORT_SKIPPED;
  }

  /** The metadata file: one {@code key base64} line per value, so any text survives. */
  static String metadata(SessionSpec spec) {
    StringBuilder m = new StringBuilder();
    spec.name().ifPresent(n -> m.append("name ").append(b64(n)).append('\n'));
    spec.argv().forEach(a -> m.append("arg ").append(b64(a)).append('\n'));
    spec.cwd().ifPresent(c -> m.append("cwd ").append(b64(c)).append('\n'));
    spec.env().forEach((k, v) -> m.append("env ").append(b64(k + "=" + v)).append('\n'));
    m.append("started ").append(spec.startedAt().toEpochMilli()).append('\n');
    return m.toString();
  }

  /** The command's own script: record its pid (it leads its process group), cd, export, exec. */
  private static String inner(SessionSpec spec) {
    return "printf '%s\\n' \"$$\" > \"$1/pid.tmp\" && mv \"$1/pid.tmp\" \"$1/pid\" || exit 126\n"
        + cdAndExport(spec)
        + "exec "
        + ShellQuote.command(spec.argv())
        + "\n";
  }

  private static String cdAndExport(SessionSpec spec) {
    StringBuilder s = new StringBuilder();
    spec.cwd().ifPresent(c -> s.append("cd ").append(quote(c)).append(" || exit 126; "));
    for (Map.Entry<String, String> e : spec.env().entrySet()) {
      s.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append("; ");
    }
    return s.toString();
  }

  /** The prelude plus {@code d}, refusing a missing session, and a not running one if asked. */
  private String session(String id, boolean mustRun) {
    String s =
        prelude() + "d=" + quote(layout.dir(id)) + "\n" + "[ -f \"$d/meta\" ] || fail not-found\n";
    if (mustRun) {
      s += "st=$(session_state \"$d\"); [ \"$st\" = running ] || fail not-running \"$st\"\n";
    }
    return s;
  }

  /**
   * {@code fail KIND [ARG]}, {@code small FILE} (the head of a regular file that should be a few
   * bytes: a guest can make any of them huge, and the scripts keep what they read in memory; or
   * make it a FIFO, which would block the script) and {@code session_state DIR}. The wrapper is
   * looked at before the exit file: a wrapper gone by then wrote its exit file first, so a finished
   * session never reads as lost. A wrapper that {@code kill -0} finds but whose /proc entry is gone
   * by the next look was a zombie reaped in between: it has ended (only without /proc mounted does
   * {@code kill -0} alone decide).
   */
  private String prelude() {
    return "fail() { printf 'hearth-error: %s\\n' \"$*\" >&2; exit "
        + REFUSED
        + "; }\n"
        + "small() { [ -f \"$1\" ] && head -c "
        + SMALL_FILE_LIMIT
        + " \"$1\" 2>/dev/null; }\n"
        + "boot=$(small "
        + quote(layout.bootIdFile())
        + ")\n"
        + "session_state() {\n"
        + "  _alive=0\n"
        + "  if [ \"$(small \"$1/boot\")\" = \"$boot\" ]; then\n"
        + "    _w=$(small \"$1/wrapper.pid\")\n"
        + "    if [ -n \"$_w\" ] && kill -0 \"$_w\" 2>/dev/null; then\n"
        // A zombie wrapper has ended: it is not running even before its parent reaps it.
        + "      case \"$(small \"/proc/$_w/stat\")\" in\n"
        + "        *') Z '*) ;;\n"
        + "        '') [ -r /proc/self/stat ] || _alive=1 ;;\n"
        + "        *) _alive=1 ;;\n"
        + "      esac\n"
        + "    fi\n"
        + "  fi\n"
        + "  if [ -f \"$1/exit\" ]; then echo exited\n"
        + "  elif [ $_alive = 1 ]; then echo running\n"
        + "  else echo lost; fi\n"
        + "}\n";
  }

  private static void requireOffset(long offset) {
    if (offset < 0) {
      throw new InvalidSessionRequestException("a log offset cannot be negative; got " + offset);
    }
  }

  private static String b64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }
}

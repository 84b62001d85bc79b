package dev.hearth.session;

import dev.hearth.core.Printable;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** Parsers of the output of {@link SessionScripts}' list, start and wait scripts. */
public final class SessionListing {
  private SessionListing() {}

  /** A session folder whose record cannot be read, and why. */
  public record Broken(String id, String reason) {}

  /**
   * What a list found: the sessions, oldest first, and the session folders that could not be read
   * (a meta file past {@link SessionScripts#META_LIMIT}, a value that does not parse). One broken
   * folder does not hide the others.
   */
  public record Listing(List<SessionInfo> sessions, List<Broken> broken) {
    public Listing {
      sessions = List.copyOf(sessions);
      broken = List.copyOf(broken);
    }
  }

  /**
   * The sessions of a {@link SessionScripts#list()} output. Unknown keys are skipped, so that a
   * newer guest layout still lists. A record whose values do not parse, or that the script marked
   * {@code broken}, is reported in {@link Listing#broken()}; the framing ({@code session} and
   * {@code end} lines) comes from the script alone, since every line of a guest file is prefixed
   * with {@code m }.
   *
   * @throws SessionOutputException naming the line when the framing does not parse
   */
  public static Listing parse(String output) {
    List<SessionInfo> sessions = new ArrayList<>();
    List<Broken> broken = new ArrayList<>();
    Draft draft = null;
    int number = 0;
    for (String line : output.split("\n", -1)) {
      number++;
      if (line.isEmpty()) {
        continue;
      }
      int space = line.indexOf(' ');
      String key = space < 0 ? line : line.substring(0, space);
      String value = space < 0 ? "" : line.substring(space + 1);
      try {
        if (key.equals("session")) {
          if (draft != null) {
            throw new IllegalArgumentException("a session record without its end line");
          }
          draft = new Draft(SessionIds.requireValid(value));
        } else if (key.equals("end")) {
          if (draft == null) {
            throw new IllegalArgumentException("an end line outside a session record");
          }
          draft.finish(sessions, broken);
          draft = null;
        } else if (draft != null) {
          draft.accept(key, value, number, line);
        }
      } catch (IllegalArgumentException | SessionException e) {
        throw new SessionOutputException(
            "cannot parse the session list, line "
                + number
                + " ('"
                + Printable.of(abbreviate(line))
                + "'): "
                + e.getMessage());
      }
    }
    if (draft != null) {
      throw new SessionOutputException(
          "the session list ends inside the record of session " + draft.id);
    }
    sessions.sort(Comparator.comparing(SessionInfo::startedAt).thenComparing(SessionInfo::id));
    return new Listing(sessions, broken);
  }

  private static String abbreviate(String line) {
    return line.length() <= 200 ? line : line.substring(0, 200) + "...";
  }

  /**
   * The id printed by {@link SessionScripts#start}.
   *
   * @throws SessionOutputException when the output is not that id
   */
  public static String parseStarted(String expectedId, String output) {
    String got = output.strip();
    if (!got.equals(expectedId)) {
      throw new SessionOutputException(
          "the start script of session "
              + expectedId
              + " printed '"
              + Printable.of(got)
              + "' instead of the session id");
    }
    return got;
  }

  /**
   * The end of a session as printed by {@link SessionScripts#waitFor}: the exit code, or empty when
   * the session was lost.
   */
  public static OptionalInt parseWait(String output) {
    String line = output.strip();
    if (line.equals("lost")) {
      return OptionalInt.empty();
    }
    if (line.startsWith("exited ")) {
      try {
        return OptionalInt.of(Integer.parseInt(line.substring("exited ".length()).trim()));
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new SessionOutputException(
        "cannot parse the wait script's output '" + Printable.of(line) + "'");
  }

  private static final class Draft {
    final String id;
    Optional<String> name = Optional.empty();
    final List<String> argv = new ArrayList<>();
    Optional<String> cwd = Optional.empty();
    final Map<String, String> env = new LinkedHashMap<>();
    Instant started;
    SessionState state;
    OptionalInt exit = OptionalInt.empty();
    String problem;

    Draft(String id) {
      this.id = id;
    }

    /** A line of the record; a value that does not parse marks the record broken. */
    void accept(String key, String value, int number, String line) {
      if (problem != null) {
        return;
      }
      try {
        if (key.equals("m")) {
          int space = value.indexOf(' ');
          acceptMeta(
              space < 0 ? value : value.substring(0, space),
              space < 0 ? "" : value.substring(space + 1));
        } else {
          acceptScript(key, value);
        }
      } catch (RuntimeException e) {
        problem =
            "line "
                + number
                + " ('"
                + Printable.of(abbreviate(line))
                + "') does not parse: "
                + MinaGuestDialer.reason(e);
      }
    }

    private void acceptScript(String key, String value) {
      switch (key) {
        case "state":
          state = SessionState.valueOf(value.toUpperCase(java.util.Locale.ROOT));
          break;
        case "exit":
          if (!value.isEmpty()) {
            exit = OptionalInt.of(Integer.parseInt(value.trim()));
          }
          break;
        case "broken":
          problem = brokenReason(value);
          break;
        default:
          break;
      }
    }

    private void acceptMeta(String key, String value) {
      switch (key) {
        case "name":
          // start refuses such a name; one in the guest's file was written there by the guest.
          name = Optional.of(SessionSpec.requireValidName(decode(value)));
          break;
        case "arg":
          argv.add(decode(value));
          break;
        case "cwd":
          cwd = Optional.of(decode(value));
          break;
        case "env":
          String pair = decode(value);
          int eq = pair.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("an env value without NAME=");
          }
          env.put(pair.substring(0, eq), pair.substring(eq + 1));
          break;
        case "started":
          started = Instant.ofEpochMilli(Long.parseLong(value));
          break;
        default:
          break;
      }
    }

    void finish(List<SessionInfo> sessions, List<Broken> broken) {
      if (problem == null && (started == null || state == null || argv.isEmpty())) {
        problem = "its record lacks the start time, state or command";
      }
      if (problem != null) {
        broken.add(new Broken(id, problem));
        return;
      }
      OptionalInt code = state == SessionState.EXITED ? exit : OptionalInt.empty();
      sessions.add(new SessionInfo(id, name, argv, cwd, env, started, state, code));
    }

    private static String brokenReason(String value) {
      String[] words = value.split(" ", 2);
      if (words[0].equals("meta-too-large") && words.length == 2) {
        return "its meta file is larger than "
            + OutputLimitException.size(Long.parseLong(words[1].trim()))
            + ", the most the daemon reads";
      }
      return "the list script reported '" + Printable.of(abbreviate(value)) + "'";
    }

    private static String decode(String value) {
      return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }
  }
}

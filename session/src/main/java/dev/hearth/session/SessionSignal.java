package dev.hearth.session;

import dev.hearth.core.Printable;
import java.util.List;
import java.util.Locale;

/** The signals {@code session kill} may send, by name. */
public final class SessionSignal {
  /** Accepted names (with or without {@code SIG}, any case). */
  public static final List<String> NAMES =
      List.of(
          "HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "PIPE", "ALRM", "TERM", "CONT", "STOP",
          "TSTP", "WINCH");

  private SessionSignal() {}

  /**
   * The canonical name ({@code TERM}) of {@code sigterm}, {@code SIGTERM} or {@code TERM}.
   *
   * @throws InvalidSessionRequestException naming the value and the accepted names
   */
  public static String parse(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    String bare = upper.startsWith("SIG") ? upper.substring(3) : upper;
    if (!NAMES.contains(bare)) {
      throw new InvalidSessionRequestException(
          "unknown signal '" + Printable.of(name) + "'; use one of " + String.join(", ", NAMES));
    }
    return bare;
  }
}

package dev.hearth.core;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one quoting function of hearth, for values put into POSIX sh scripts (a guest's, a build's)
 * and for command lines in messages: a single-quoted word, inside which sh treats every character
 * literally except the single quote itself, which is written as {@code '\''}. Newlines, {@code $},
 * backticks and non-ASCII text pass through exactly.
 */
public final class ShellQuote {
  /** Words made only of these need no quotes in any POSIX sh position but the first. */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private ShellQuote() {}

  /**
   * The value as one shell word.
   *
   * @throws IllegalArgumentException when it contains a NUL character, which no shell word holds
   */
  public static String quote(String value) {
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a shell word cannot hold a NUL character");
    }
    return "'" + value.replace("'", "'\\''") + "'";
  }

  /**
   * An argv as one command line that runs exactly that argv: every word quoted, joined by spaces.
   *
   * @throws IllegalArgumentException when the argv is empty or a word contains a NUL character
   */
  public static String command(List<String> argv) {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("a command needs at least one word");
    }
    return argv.stream().map(ShellQuote::quote).collect(Collectors.joining(" "));
  }

  /**
   * An argv as a command line for people: like {@link #command}, and a shell runs it as the same
   * argv, but words that need no quotes are left bare ({@code sh -c 'read l'}, not {@code 'sh' '-c'
   * 'read l'}).
   *
   * @throws IllegalArgumentException when the argv is empty or a word contains a NUL character
   */
  public static String readable(List<String> argv) {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("a command needs at least one word");
    }
    return argv.stream()
        .map(w -> PLAIN.matcher(w).matches() ? w : quote(w))
        .collect(Collectors.joining(" "));
  }
}

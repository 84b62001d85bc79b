package dev.hearth.imagemgr;

/**
 * The one quoting function for values put into generated shell scripts: a single-quoted word,
 * inside which POSIX sh treats every character literally except the single quote itself, which is
 * written as {@code '\''}. Newlines, {@code $}, backticks and non-ASCII text pass through exactly.
 */
final class ShellQuote {
  private ShellQuote() {}

  /**
   * The value as one shell word.
   *
   * @throws IllegalArgumentException when it contains a NUL character, which no shell word holds
   */
  static String quote(String value) {
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a shell word cannot hold a NUL character");
    }
    return "'" + value.replace("'", "'\\''") + "'";
  }
}

package dev.hearth.core;

import java.util.stream.IntStream;

/**
 * hearth's one escaper of text for messages and listings: control characters as {@code \xNN}, so
 * that a hostile name or command cannot garble a message or a terminal.
 */
public final class Printable {
  /** How many code points {@link #of(String)} keeps. */
  public static final int MAX_CODE_POINTS = 80;

  private Printable() {}

  /** The text escaped, cut after {@link #MAX_CODE_POINTS} code points with {@code …}. */
  public static String of(String s) {
    String escaped = escape(s.codePoints().limit(MAX_CODE_POINTS));
    return s.codePointCount(0, s.length()) > MAX_CODE_POINTS ? escaped + '…' : escaped;
  }

  /** The whole text escaped, uncut. */
  public static String escape(String s) {
    return escape(s.codePoints());
  }

  private static String escape(IntStream codePoints) {
    StringBuilder sb = new StringBuilder();
    codePoints.forEach(
        c -> {
          if (Character.isISOControl(c)) {
            sb.append(String.format("\\x%02x", c));
          } else {
            sb.appendCodePoint(c);
          }
        });
    return sb.toString();
  }
}

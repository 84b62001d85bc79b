package dev.hearth.session;

/** Text with control characters escaped and its length capped, for error messages. */
final class Printable {
  private static final int MAX_CODE_POINTS = 80;

  private Printable() {}

  static String of(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints()
        .limit(MAX_CODE_POINTS)
        .forEach(
            c -> {
              if (Character.isISOControl(c)) {
                sb.append(String.format("\\x%02x", c));
              } else {
                sb.appendCodePoint(c);
              }
            });
    if (s.codePointCount(0, s.length()) > MAX_CODE_POINTS) {
      sb.append("...");
    }
    return sb.toString();
  }
}

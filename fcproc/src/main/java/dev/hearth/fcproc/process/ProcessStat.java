package dev.hearth.fcproc.process;

/**
 * The fields of {@code /proc/<pid>/stat} that hearth uses.
 *
 * @param state the one-letter state ({@code R}, {@code S}, {@code Z} for a zombie, ...)
 * @param sessionId field 6, the session the process belongs to
 * @param startTime field 22, clock ticks after boot at which the process started
 */
public record ProcessStat(int pid, char state, int sessionId, long startTime) {

  /** Whether the process has exited (a zombie waiting to be reaped counts as exited). */
  public boolean exited() {
    return state == 'Z' || state == 'X' || state == 'x';
  }

  /**
   * Parses a stat line. The command name (field 2) is in parentheses and may itself hold spaces and
   * parentheses, so the fields after it are counted from the last ')'.
   *
   * @throws IllegalArgumentException when the line has not the expected shape
   */
  public static ProcessStat parse(String line) {
    int open = line.indexOf('(');
    int close = line.lastIndexOf(')');
    if (open <= 0 || close < open) {
      throw new IllegalArgumentException("not a /proc stat line: '" + line + "'");
    }
    String[] rest = line.substring(close + 1).trim().split(" ");
    // rest[0] is field 3 (state), so field n is rest[n - 3].
    if (rest.length < 20) {
      throw new IllegalArgumentException("too few fields in /proc stat line: '" + line + "'");
    }
    try {
      int pid = Integer.parseInt(line.substring(0, open).trim());
      return new ProcessStat(
          pid, rest[0].charAt(0), Integer.parseInt(rest[6 - 3]), Long.parseLong(rest[22 - 3]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad number in /proc stat line: '" + line + "'", e);
    }
  }
}

package dev.hearth.core;

/**
 * Receives the output of a streamed command ({@link Runner#stream}) line by line, as it comes. It
 * is called on the thread that called {@code stream}; the lines of one stream arrive in the order
 * the command wrote them.
 */
@FunctionalInterface
public interface LineListener {
  /** Which of the command's output streams a line came from. */
  enum Source {
    STDOUT,
    STDERR
  }

  /**
   * One line, without its line terminator. A line longer than {@link
   * ProcessRunner#MAX_STREAMED_LINE_BYTES} arrives in pieces of at most that size.
   */
  void onLine(Source source, String line);
}

package dev.hearth.daemon;

/** Where a guest command's output goes, chunk by chunk, as it comes. */
@FunctionalInterface
public interface OutputSink {
  /**
   * @param fd 1 for stdout, 2 for stderr
   */
  void output(int fd, byte[] bytes);
}

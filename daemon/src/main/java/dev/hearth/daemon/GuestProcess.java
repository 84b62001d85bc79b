package dev.hearth.daemon;

/**
 * A command running in a guest ({@link Vms#start}, {@link Vms#shell}): its input goes in through
 * this handle, from any thread, while its output goes to the {@link OutputSink} given at the start.
 * Over the socket the output is read on the thread that runs {@link #awaitExit()}, so call it.
 */
public interface GuestProcess extends AutoCloseable {
  /** Sends input bytes; blocks while the guest reads slower. Dropped once the command ended. */
  void write(byte[] data, int offset, int length);

  default void write(byte[] data) {
    write(data, 0, data.length);
  }

  /** Ends the input: the command reads end of file. */
  void closeInput();

  /** Tells the command's terminal its new size (with a terminal only). */
  void resize(int cols, int rows);

  /**
   * Waits until the command has ended and its output has been handed on.
   *
   * @return its exit code (128 + n when signal n ended it)
   * @throws HearthException {@code host_error} or {@code timeout} when the guest cannot be reached
   *     or the connection to it breaks
   */
  int awaitExit() throws InterruptedException;

  /** Ends the command (SIGTERM in the guest) unless it has already ended. */
  @Override
  void close();
}

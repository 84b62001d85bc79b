package dev.hearth.daemon;

import java.util.Optional;

/**
 * An attachment to a session ({@link Sessions#attach}): its output, replayed and followed, goes to
 * the {@link OutputSink} given; input written here goes to the session's stdin. Over the socket the
 * output is read on the thread that runs {@link #awaitEnd()}.
 */
public interface SessionAttachment extends AutoCloseable {
  /** Sends input bytes to the session's stdin. */
  void write(byte[] data, int offset, int length);

  default void write(byte[] data) {
    write(data, 0, data.length);
  }

  /** Stops forwarding input; the session's own stdin stays open for other writers. */
  void closeInput();

  /**
   * Waits until the session ends (or the attachment is closed from another thread).
   *
   * @return where its output ended; empty when the attachment was closed first (a detach)
   */
  Optional<SessionOutput> awaitEnd() throws InterruptedException;

  /** Detaches: the session runs on. */
  @Override
  void close();
}

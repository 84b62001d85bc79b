package dev.hearth.daemon;

import java.util.Objects;

/**
 * Where a stream of a session's output ended ({@link Sessions#logs}, {@link
 * SessionAttachment#awaitEnd}): the log's next offset (to go on from) and the session then.
 */
public record SessionOutput(long nextOffset, Session session) {
  public SessionOutput {
    Objects.requireNonNull(session, "session");
  }
}

package dev.hearth.fcproc.internal;

import java.io.IOException;

/** The peer's bytes are not an HTTP/1.1 response we can read. */
public final class MalformedResponseException extends IOException {
  private static final long serialVersionUID = 1L;

  MalformedResponseException(String message) {
    super(message);
  }
}

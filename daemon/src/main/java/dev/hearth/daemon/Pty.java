package dev.hearth.daemon;

import dev.hearth.session.ExecRequest;
import java.util.Objects;

/**
 * A terminal for a guest command: its {@code TERM} and size. A bad value throws {@link
 * HearthException.Kind#INVALID} naming it.
 */
public record Pty(String term, int cols, int rows) {
  /** TERM when none is given. */
  public static final String DEFAULT_TERM = "xterm-256color";

  public Pty {
    Objects.requireNonNull(term, "term");
    try {
      new ExecRequest.Pty(term, cols, rows);
    } catch (IllegalArgumentException e) {
      throw HearthException.invalid("vm.exec: " + e.getMessage());
    }
  }

  /** The default terminal, 80x24. */
  public static Pty of() {
    return new Pty(DEFAULT_TERM, 80, 24);
  }
}

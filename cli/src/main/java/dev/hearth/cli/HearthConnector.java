package dev.hearth.cli;

import dev.hearth.daemon.Hearth;
import java.nio.file.Path;

/**
 * How the commands reach hearth: {@link Hearth#connect} for real, a fake {@link Hearth} in tests.
 */
@FunctionalInterface
interface HearthConnector {
  /**
   * @throws dev.hearth.daemon.HearthException {@code unavailable} when no daemon answers
   */
  Hearth connect(Path socket);
}

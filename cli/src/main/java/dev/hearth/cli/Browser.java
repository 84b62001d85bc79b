package dev.hearth.cli;

import java.nio.file.Path;
import java.util.Optional;

/** The desktop's way to open a page, for {@code hearth ui --open}. */
interface Browser {
  /**
   * Opens {@code page} (a local file that leads on to the web UI) in a browser.
   *
   * @return empty once it was handed to a browser, else why it could not be (one sentence)
   */
  Optional<String> open(Path page) throws InterruptedException;
}

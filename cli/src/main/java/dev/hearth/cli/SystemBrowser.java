package dev.hearth.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Opens a page with {@code $BROWSER} (its first entry), else {@code xdg-open}, {@code
 * sensible-browser} or {@code x-www-browser} found on {@code PATH}. An opener that is still running
 * after a few seconds is taken to be the browser itself and left to run.
 */
final class SystemBrowser implements Browser {
  private static final List<String> OPENERS =
      List.of("xdg-open", "sensible-browser", "x-www-browser");
  private static final long WAIT_SECONDS = 5;

  private final Map<String, String> variables;

  SystemBrowser(Map<String, String> variables) {
    this.variables = Map.copyOf(variables);
  }

  @Override
  public Optional<String> open(Path page) throws InterruptedException {
    Optional<String> opener = opener();
    if (opener.isEmpty()) {
      return Optional.of(
          "no browser to open it with here (neither $BROWSER nor xdg-open); open the URL"
              + " yourself");
    }
    Process process;
    try {
      process =
          new ProcessBuilder(opener.get(), page.toString())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectErrorStream(false)
              .start();
    } catch (IOException e) {
      return Optional.of("cannot run " + opener.get() + ": " + e.getMessage());
    }
    if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
      return Optional.empty();
    }
    if (process.exitValue() == 0) {
      return Optional.empty();
    }
    String stderr;
    try {
      stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      stderr = "";
    }
    return Optional.of(
        opener.get()
            + " exited with "
            + process.exitValue()
            + (stderr.isEmpty() ? "" : ": " + stderr.lines().findFirst().orElse(""))
            + "; open the URL yourself");
  }

  private Optional<String> opener() {
    String browser = variables.getOrDefault("BROWSER", "");
    if (!browser.isBlank()) {
      return Optional.of(browser.split(":")[0].strip());
    }
    String path = variables.getOrDefault("PATH", "");
    for (String name : OPENERS) {
      for (String dir : path.split(":")) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
          return Optional.of(Path.of(dir, name).toString());
        }
      }
    }
    return Optional.empty();
  }
}

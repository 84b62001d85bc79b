package dev.hearth.daemon.internal.doctor;

import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import java.nio.file.Path;
import java.time.Duration;

/** What the doctor's checks share: the config, the host seams and a few helpers. */
abstract class HostChecks {

  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

  static final String NOT_FOUND = " not found on PATH";

  final Config config;
  final Layout layout;
  final Runner runner;
  final Posix posix;
  final HostProbe probe;

  HostChecks(Config config, Runner runner, Posix posix, HostProbe probe) {
    this.config = config;
    this.layout = Layout.of(config);
    this.runner = runner;
    this.posix = posix;
    this.probe = probe;
  }

  /** The path itself when it exists, else its nearest existing ancestor. */
  Path nearestExisting(Path path) {
    Path candidate = path;
    while (candidate != null && !probe.exists(candidate)) {
      candidate = candidate.getParent();
    }
    return candidate == null ? path.getRoot() : candidate;
  }

  Path configFile() {
    return config.source().orElse(Config.DEFAULT_FILE);
  }

  static String firstLine(String text) {
    String stripped = text.strip();
    int newline = stripped.indexOf('\n');
    return newline < 0 ? stripped : stripped.substring(0, newline);
  }
}

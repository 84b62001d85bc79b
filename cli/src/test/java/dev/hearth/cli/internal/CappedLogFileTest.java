package dev.hearth.cli.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class CappedLogFileTest {
  @TempDir Path dir;

  @AfterEach
  void backToTheCliDefault() {
    Logging.toStderr("warn");
  }

  @Test
  void writingPastTheCapKeepsTheNewestLinesWithinIt() throws IOException {
    Path file = dir.resolve("daemon.log");
    try (CappedLogFile log = CappedLogFile.open(file, 1000)) {
      for (int i = 0; i < 1000; i++) {
        log.write(String.format("line %04d of the log, some words%n", i).getBytes(UTF_8));
      }
    }

    Path previous = CappedLogFile.previous(file);
    assertThat(Files.size(file)).isLessThanOrEqualTo(500);
    assertThat(Files.size(previous)).isLessThanOrEqualTo(500);
    assertThat(Files.size(file) + Files.size(previous)).isGreaterThan(500);
    String current = Files.readString(file);
    assertThat(current).endsWith("line 0999 of the log, some words\n").startsWith("line ");
    assertThat(Files.readString(previous)).startsWith("line ").endsWith("words\n");
    assertThat(Files.list(dir)).hasSize(2);
  }

  @Test
  void anEventLongerThanHalfTheCapKeepsItsHead() throws IOException {
    Path file = dir.resolve("daemon.log");
    try (CappedLogFile log = CappedLogFile.open(file, 100)) {
      log.write("x".repeat(300).getBytes(UTF_8));
      log.write("short\n".getBytes(UTF_8));
    }

    assertThat(Files.readString(CappedLogFile.previous(file))).isEqualTo("x".repeat(50));
    assertThat(Files.readString(file)).isEqualTo("short\n");
  }

  @Test
  void anExistingFileCountsTowardsTheCap() throws IOException {
    Path file = dir.resolve("daemon.log");
    Files.writeString(file, "y".repeat(45));
    try (CappedLogFile log = CappedLogFile.open(file, 100)) {
      log.write("0123456789".getBytes(UTF_8));
    }

    assertThat(Files.readString(CappedLogFile.previous(file))).isEqualTo("y".repeat(45));
    assertThat(Files.readString(file)).isEqualTo("0123456789");
  }

  @Test
  void theDaemonLogFileStaysWithinItsCap() throws IOException {
    Path file = dir.resolve("daemon.log");
    Logging.toFile("info", file, 4096);
    org.slf4j.Logger log = LoggerFactory.getLogger("dev.hearth.daemon.Daemon");
    for (int i = 0; i < 500; i++) {
      log.info("event {} of the soak", i);
    }

    Path previous = CappedLogFile.previous(file);
    assertThat(Files.size(file) + Files.size(previous)).isLessThanOrEqualTo(4096);
    assertThat(Files.readString(file)).contains("INFO  Daemon: event 499 of the soak\n");
    assertThat(Files.readString(previous)).doesNotContain("event 0 of");
  }

  @Test
  void aLogFileThatCannotBeOpenedIsNamed() {
    Path file = dir.resolve("missing/daemon.log");

    assertThatThrownBy(() -> Logging.toFile("info", file, 4096))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot open the daemon log file " + file + " (daemon_log_file)");
  }
}

package dev.hearth.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LoggingTest {
  private final Logger hearth = LoggerFactory.getLogger("dev.hearth.daemon.Daemon");
  private final Logger mina = LoggerFactory.getLogger(Logging.SSH_LIBRARY + ".client.SshClient");

  @AfterEach
  void backToTheCliDefault() {
    Logging.toStderr("warn");
  }

  @Test
  void atInfoTheSshLibraryLogsOnlyWarnings() {
    Logging.toStderr("info");

    assertThat(hearth.isInfoEnabled()).isTrue();
    assertThat(mina.isInfoEnabled()).isFalse();
    assertThat(mina.isWarnEnabled()).isTrue();
  }

  @Test
  void atDebugTheSshLibraryLogsAtDebugToo() {
    Logging.toStderr("debug");

    assertThat(hearth.isDebugEnabled()).isTrue();
    assertThat(mina.isDebugEnabled()).isTrue();
  }

  @Test
  void atErrorTheSshLibraryIsNotLouderThanTheRest() {
    Logging.toStderr("error");

    assertThat(mina.isWarnEnabled()).isFalse();
  }
}

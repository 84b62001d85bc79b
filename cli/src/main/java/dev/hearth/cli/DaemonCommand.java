package dev.hearth.cli;

import dev.hearth.cli.internal.Logging;
import dev.hearth.core.Config;
import dev.hearth.core.ConfigException;
import dev.hearth.core.ConfigKey;
import dev.hearth.daemon.Daemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Runs the daemon in the foreground until SIGTERM or SIGINT. A JVM shutdown hook closes it
 * gracefully; the JVM then exits with 128 + the signal (143 for SIGTERM, 130 for SIGINT), as it
 * always does when a signal starts its shutdown; hearth.service counts 143 as success.
 */
@Command(name = "daemon", description = "Run the hearth daemon in the foreground.")
final class DaemonCommand implements Callable<Integer> {
  /** How long the shutdown hook waits past shutdown_grace for the daemon to finish closing. */
  private static final Duration CLOSE_MARGIN = Duration.ofSeconds(5);

  @ParentCommand HearthCommand hearth;
  @Spec CommandSpec spec;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Overrides state_dir.")
  Path stateDir;

  @Option(names = "--runtime-dir", paramLabel = "DIR", description = "Overrides runtime_dir.")
  Path runtimeDir;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      description = "Overrides log_level: error, warn, info, debug or trace.")
  String logLevel;

  @Option(
      names = "--log-file",
      paramLabel = "FILE",
      description =
          "Overrides daemon_log_file: the log goes to FILE, kept within"
              + " daemon_log_max_size, instead of stderr.")
  Path logFile;

  @Override
  public Integer call() throws InterruptedException {
    Config config = hearth.config();
    if (stateDir != null) {
      config = override(config, ConfigKey.STATE_DIR, stateDir.toAbsolutePath().toString());
    }
    if (runtimeDir != null) {
      config = override(config, ConfigKey.RUNTIME_DIR, runtimeDir.toAbsolutePath().toString());
    }
    if (logLevel != null) {
      config = override(config, ConfigKey.LOG_LEVEL, logLevel);
    }
    if (logFile != null) {
      config = override(config, ConfigKey.DAEMON_LOG_FILE, logFile.toAbsolutePath().toString());
    }
    Optional<Path> file = config.daemonLogFile();
    if (file.isPresent()) {
      Logging.toFile(config.logLevel(), file.get(), config.daemonLogMaxSize());
    } else {
      Logging.toStderr(config.logLevel());
    }

    Daemon daemon = Daemon.open(config);
    CountDownLatch served = new CountDownLatch(1);
    Duration hookWait = config.shutdownGrace().plus(CLOSE_MARGIN);
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> closeAndWait(daemon, served, hookWait), "hearth-stop"));
    try {
      daemon.serve();
    } finally {
      served.countDown();
    }
    return 0;
  }

  /** A bad flag value is a usage error. */
  private Config override(Config config, ConfigKey key, String value) {
    try {
      return config.with(key, value);
    } catch (ConfigException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, value);
    }
  }

  /** Runs in the shutdown hook: the JVM halts when hooks return, so wait for serve() to finish. */
  private static void closeAndWait(Daemon daemon, CountDownLatch served, Duration wait) {
    daemon.close();
    try {
      served.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.hearth.cli.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Logback set up in code: one line per event on stderr (ISO timestamp, level, logger, message).
 * Found by logback through {@code META-INF/services}, it sets warnings and errors only, so that CLI
 * commands stay quiet; {@code hearth daemon} calls {@link #toStderr} with its log level, or {@link
 * #toFile} when {@code daemon_log_file} is set.
 */
public final class Logging extends ContextAwareBase implements Configurator {
  static final String SSH_LIBRARY = "org.apache.sshd";

  private static final String PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}: %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    configure(context, Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Logs events at {@code level} (error, warn, info, debug, trace) and above to stderr. */
  public static void toStderr(String level) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    configure(context, Level.toLevel(level, Level.INFO));
  }

  /**
   * Logs events at {@code level} and above to {@code file}, kept with its one rotated copy within
   * {@code maxBytes} ({@link CappedLogFile}).
   *
   * @throws UncheckedIOException naming the file when it cannot be opened
   */
  public static void toFile(String level, Path file, long maxBytes) {
    CappedLogFile out;
    try {
      out = CappedLogFile.open(file, maxBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot open the daemon log file " + file + " (daemon_log_file): " + e.getMessage(), e);
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setName("file");
    appender.setOutputStream(out);
    appender.setEncoder(encoder(context));
    appender.start();
    configure(context, Level.toLevel(level, Level.INFO), appender);
  }

  private static PatternLayoutEncoder encoder(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    return encoder;
  }

  private static void configure(LoggerContext context, Level level) {
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("stderr");
    appender.setTarget("System.err");
    appender.setEncoder(encoder(context));
    appender.start();
    configure(context, level, appender);
  }

  private static void configure(
      LoggerContext context, Level level, OutputStreamAppender<ILoggingEvent> appender) {
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    root.addAppender(appender);
    // MINA logs a line at INFO for every SSH connection (one per guest exec); its INFO is noise
    // in the daemon's log, its DEBUG is still there when asked for.
    Level ssh = level == Level.INFO ? Level.WARN : level;
    context.getLogger(SSH_LIBRARY).setLevel(ssh);
  }
}

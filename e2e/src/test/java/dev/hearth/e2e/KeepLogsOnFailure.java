package dev.hearth.e2e;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Turns a failure of an e2e test (a step or its set-up) into a {@link FailureReport}: the logs of
 * the test instance ({@link Logs}) are copied under {@code e2e/target/e2e-logs/<Class.method>/} and
 * the thrown error names them and quotes their tails. (Not for {@code @BeforeEach}: the only one in
 * the suite is the assumption that skips the steps after a failed one.)
 */
final class KeepLogsOnFailure
    implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

  /** Where the suite's logs are copied: the build folder, unless run outside Maven. */
  static Path keptRoot() {
    return Path.of(System.getProperty("hearth.e2e.keptLogs", "target/e2e-logs"));
  }

  /** Implemented by e2e test classes. */
  interface Logs {
    /** The logs to keep, by the name to keep them under; may be empty before the daemon exists. */
    Map<String, Path> logs();

    /** Told which step failed, so that the steps after it are not run on a broken state. */
    void failed(String step);
  }

  /** An error that already carries its kept logs; thrown on as it is. */
  static final class Reported extends AssertionError {
    private static final long serialVersionUID = 1L;

    Reported(AssertionError report) {
      super(report.getMessage(), report.getCause());
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw keep(context, failure);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw keep(context, failure);
  }

  @Override
  public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw keep(context, failure);
  }

  @Override
  public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw keep(context, failure);
  }

  static Throwable keep(ExtensionContext context, Throwable failure) {
    if (failure instanceof Reported) {
      return failure;
    }
    String test =
        context.getRequiredTestClass().getSimpleName()
            + context.getTestMethod().map(m -> "." + m.getName()).orElse("");
    Map<String, Path> logs = new LinkedHashMap<>();
    Object instance = context.getTestInstance().orElse(null);
    if (instance instanceof Logs withLogs) {
      withLogs.failed(test);
      try {
        logs.putAll(withLogs.logs());
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
    return new Reported(new FailureReport(keptRoot()).report(test, failure, logs));
  }
}

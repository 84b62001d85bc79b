package dev.hearth.core.testing;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints why a test was skipped (a failed host condition or assumption) into the build log, where
 * Surefire's own summary only says "skipped". Registered through META-INF/services for every module
 * that has the core test-jar on its test classpath.
 */
public final class SkipReasonReporter implements TestExecutionListener {

  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    report(test, reason);
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
      report(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
    }
  }

  private static void report(TestIdentifier test, String reason) {
    System.err.println("[SKIPPED] " + test.getLegacyReportingName() + ": " + reason);
  }
}

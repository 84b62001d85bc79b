package dev.hearth.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The setup steps of an ordered end-to-end class (build the image, create the VM): once one fails,
 * the steps after it are skipped with a reason that names it, instead of failing for the same cause
 * again.
 */
final class SetupSteps {
  interface Step {
    void run() throws Exception;
  }

  private String failed;

  /** Skips the calling step when a setup step failed before it. */
  void assumeAllPassed() {
    assumeTrue(failed == null, () -> "not run: the setup step " + failed + " failed");
  }

  /** Runs a setup step; when it fails, the steps after it are skipped, naming it. */
  void run(String name, Step step) throws Exception {
    try {
      step.run();
    } catch (Exception | AssertionError e) {
      failed = name;
      throw e;
    }
  }
}

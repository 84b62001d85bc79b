package dev.hearth.fcproc.testing;

import dev.hearth.fcproc.server.FirecrackerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared reference copy of Firecracker's API spec ({@code
 * shared/reference/firecracker/firecracker-api-v1.16.1.yaml}), which tests and the fake firecracker
 * validate against, and which fcproc's bundled copy must equal.
 */
public final class ReferenceSpec {
  /** System property naming the spec file; else the environment variable, else a search. */
  public static final String PROPERTY = "hearth.firecracker.spec";

  public static final String ENVIRONMENT = "HEARTH_FIRECRACKER_SPEC";
  static final Path RELATIVE =
      Path.of("shared", "reference", "firecracker", FirecrackerSpec.FILE_NAME);

  private ReferenceSpec() {}

  /** Loads the spec found by {@link #locate()}. */
  public static FirecrackerSpec load() {
    return FirecrackerSpec.load(locate());
  }

  /**
   * The spec file: the {@value #PROPERTY} system property, the {@value #ENVIRONMENT} variable, or
   * {@code shared/reference/firecracker/} in the current folder or one of its parents (the checkout
   * and its sibling {@code shared/}).
   *
   * @throws IllegalStateException naming every place looked at
   */
  public static Path locate() {
    List<Path> tried = new ArrayList<>();
    for (String configured :
        new String[] {System.getProperty(PROPERTY), System.getenv(ENVIRONMENT)}) {
      if (configured != null && !configured.isEmpty()) {
        Path p = Path.of(configured);
        if (Files.isRegularFile(p)) {
          return p.toAbsolutePath();
        }
        tried.add(p);
      }
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path p = dir.resolve(RELATIVE);
      if (Files.isRegularFile(p)) {
        return p;
      }
      tried.add(p);
    }
    throw new IllegalStateException(
        "cannot find the Firecracker API spec "
            + FirecrackerSpec.FILE_NAME
            + "; set -D"
            + PROPERTY
            + " or "
            + ENVIRONMENT
            + ". Looked at: "
            + tried);
  }
}

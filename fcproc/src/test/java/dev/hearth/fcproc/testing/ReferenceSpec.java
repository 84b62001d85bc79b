package dev.hearth.fcproc.testing;

import dev.hearth.fcproc.server.FirecrackerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The shared reference copy of Firecracker's API spec ({@code
 * shared/reference/firecracker/firecracker-api-v1.16.1.yaml}), which tests and the fake firecracker
 * validate against, and which fcproc's bundled copy must equal. A checkout with no reference copy
 * beside it (a user's clone) validates against the bundled copy, which {@code FirecrackerSpecTest}
 * holds byte-identical to the reference wherever both are there (CI).
 */
public final class ReferenceSpec {
  /** System property naming the spec file; else the environment variable, else a search. */
  public static final String PROPERTY = "hearth.firecracker.spec";

  public static final String ENVIRONMENT = "HEARTH_FIRECRACKER_SPEC";
  static final Path RELATIVE =
      Path.of("shared", "reference", "firecracker", FirecrackerSpec.FILE_NAME);

  private ReferenceSpec() {}

  /** The spec found by {@link #find()}, else fcproc's bundled copy. */
  public static FirecrackerSpec load() {
    Optional<Path> file = find();
    return file.isPresent() ? FirecrackerSpec.load(file.get()) : FirecrackerSpec.bundled();
  }

  /**
   * The reference spec file: the {@value #PROPERTY} system property, the {@value #ENVIRONMENT}
   * variable, or {@code shared/reference/firecracker/} in the current folder or one of its parents
   * (the checkout and its sibling {@code shared/}); empty when none of them is a file.
   *
   * @throws IllegalStateException when the property or the variable names a file that is not there
   */
  public static Optional<Path> find() {
    for (String configured :
        new String[] {System.getProperty(PROPERTY), System.getenv(ENVIRONMENT)}) {
      if (configured != null && !configured.isEmpty()) {
        Path p = Path.of(configured);
        if (!Files.isRegularFile(p)) {
          throw new IllegalStateException(
              "the Firecracker API spec set by -D"
                  + PROPERTY
                  + " or "
                  + ENVIRONMENT
                  + " is not a"
                  + " file: "
                  + p);
        }
        return Optional.of(p.toAbsolutePath());
      }
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path p = dir.resolve(RELATIVE);
      if (Files.isRegularFile(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}

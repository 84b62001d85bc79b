package dev.hearth.fcproc;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Firecracker release version, as {@code firecracker --version} prints it. */
public record FirecrackerVersion(int major, int minor, int patch)
    implements Comparable<FirecrackerVersion> {
  /** The release whose API spec hearth is written and tested against. */
  public static final FirecrackerVersion TESTED = new FirecrackerVersion(1, 16, 1);

  /** The oldest release with every endpoint and field the client sends. */
  public static final FirecrackerVersion MINIMUM = new FirecrackerVersion(1, 0, 0);

  private static final Pattern VERSION_LINE =
      Pattern.compile("(?m)^Firecracker v(\\d+)\\.(\\d+)\\.(\\d+)\\b");

  /** Finds {@code Firecracker vX.Y.Z} at the start of a line of {@code --version} output. */
  public static Optional<FirecrackerVersion> parse(String versionOutput) {
    Matcher m = VERSION_LINE.matcher(versionOutput);
    if (!m.find()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new FirecrackerVersion(
              Integer.parseInt(m.group(1)),
              Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(3))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Same major version as the tested release and not older than {@link #MINIMUM}. */
  public boolean isSupported() {
    return major == TESTED.major && compareTo(MINIMUM) >= 0;
  }

  @Override
  public int compareTo(FirecrackerVersion o) {
    if (major != o.major) {
      return Integer.compare(major, o.major);
    }
    if (minor != o.minor) {
      return Integer.compare(minor, o.minor);
    }
    return Integer.compare(patch, o.patch);
  }

  @Override
  public String toString() {
    return major + "." + minor + "." + patch;
  }
}

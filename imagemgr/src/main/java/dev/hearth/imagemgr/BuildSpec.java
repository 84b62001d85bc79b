package dev.hearth.imagemgr;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What {@code image build} builds.
 *
 * @param from {@code debian:<suite>}, as given to {@code --from}
 * @param packages extra Debian packages ({@code --packages})
 * @param runScript the text of a script run inside the root filesystem as root ({@code --run}), in
 *     the build's sandbox; at most {@link #MAX_RUN_SCRIPT_BYTES} bytes of UTF-8
 * @param sizeBytes the rootfs file's size ({@code --size})
 * @param distroKernel whether to install Debian's kernel and take vmlinuz and an initrd from it
 *     (when neither {@code --kernel} nor {@code default_kernel} gives one)
 * @param authorizedKey an OpenSSH public key line for root's authorized_keys, if any
 * @param mirror the Debian mirror URL
 */
public record BuildSpec(
    String from,
    List<String> packages,
    Optional<String> runScript,
    long sizeBytes,
    boolean distroKernel,
    Optional<String> authorizedKey,
    String mirror) {

  public static final String DEFAULT_FROM = "debian:bookworm";
  public static final String DEFAULT_MIRROR = "http://deb.debian.org/debian";
  public static final long DEFAULT_SIZE_BYTES = 2L << 30;
  public static final long MIN_SIZE_BYTES = 256L << 20;

  /**
   * Most bytes of a {@code --run} script: it travels inline in the request (the client reads the
   * file with its own rights), and a setup script is far smaller.
   */
  public static final int MAX_RUN_SCRIPT_BYTES = 256 * 1024;

  private static final Pattern FROM = Pattern.compile("debian:([a-z]+)");
  // Debian policy 5.6.1: lower case letters, digits, '+', '-', '.'; at least two characters.
  private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
  private static final Pattern MIRROR = Pattern.compile("https?://[^\\s'\"\\\\]+");

  /**
   * Validates every option.
   *
   * @throws InvalidBuildSpecException naming the option and the value
   */
  public BuildSpec {
    if (!FROM.matcher(from).matches()) {
      throw new InvalidBuildSpecException(
          "--from '" + from + "': only debian:<suite> is supported, e.g. " + DEFAULT_FROM);
    }
    packages = List.copyOf(packages);
    for (String p : packages) {
      if (!PACKAGE.matcher(p).matches()) {
        throw new InvalidBuildSpecException(
            "--packages: '" + p + "' is not a Debian package name (a-z, 0-9, '+', '-', '.')");
      }
    }
    if (runScript.isPresent()) {
      int bytes = runScript.get().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_RUN_SCRIPT_BYTES) {
        throw new InvalidBuildSpecException(
            "--run: the script has "
                + bytes
                + " bytes, more than the limit of "
                + MAX_RUN_SCRIPT_BYTES
                + " (256 KiB); fetch larger things from inside the script");
      }
      if (runScript.get().indexOf('\0') >= 0) {
        throw new InvalidBuildSpecException("--run: the script contains a NUL byte: not a script");
      }
    }
    if (sizeBytes < MIN_SIZE_BYTES) {
      throw new InvalidBuildSpecException(
          "--size " + sizeBytes + " bytes is too small for a Debian rootfs (at least 256M)");
    }
    if (authorizedKey.filter(k -> k.indexOf('\n') >= 0 || k.indexOf('\r') >= 0).isPresent()) {
      throw new InvalidBuildSpecException("the authorized key must be a single line");
    }
    if (!MIRROR.matcher(mirror).matches()) {
      throw new InvalidBuildSpecException("mirror '" + mirror + "' is not an http(s) URL");
    }
  }

  /** The default build: debian:bookworm, no extras, 2 GiB, Debian's own kernel. */
  public static BuildSpec defaults() {
    return new BuildSpec(
        DEFAULT_FROM,
        List.of(),
        Optional.empty(),
        DEFAULT_SIZE_BYTES,
        true,
        Optional.empty(),
        DEFAULT_MIRROR);
  }

  /** The Debian suite, e.g. {@code bookworm}. */
  public String suite() {
    return from.substring(from.indexOf(':') + 1);
  }
}

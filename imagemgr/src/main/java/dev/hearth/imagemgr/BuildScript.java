package dev.hearth.imagemgr;

import dev.hearth.core.ShellQuote;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The POSIX sh script that {@code image build} runs as root: debootstrap (or the cached base tree)
 * into a work folder, guest configuration (key-only sshd, the network boot script, serial console,
 * /workspace, masked units), optionally Debian's kernel with a small initrd, the {@code --run}
 * script in its sandbox ({@link #sandbox()}), then {@code mkfs.ext4 -d} of the tree into the rootfs
 * file. A trap kills processes left in the chroot and unmounts /proc and the private /dev however
 * the script ends.
 *
 * <p>Outputs: {@code <out>/rootfs.ext4}; with {@link BuildSpec#distroKernel()} also {@code
 * <out>/initrd} and {@code <work>/vmlinuz} (a bzImage, for {@link VmlinuxExtractor}). The tree is
 * built in {@code <work>/tree}. It prints {@value #STAGE_PREFIX}{@code <stage>} lines as it goes
 * (see {@link #STAGES}) and its tools' output otherwise.
 *
 * <p>The debootstrapped base tree is cached as {@code <cacheRoot>/<cacheKey>/tree.tar}. The key is
 * the sha256 of the script without its per-build lines (the paths and the daemon's public key,
 * which only the configure stage uses: a new daemon, as in each e2e run, still finds the cache), so
 * any change to what the script does makes a new key.
 */
public final class BuildScript {
  /** Lines starting with this name the stage the script enters. */
  public static final String STAGE_PREFIX = "hearth-stage: ";

  /** The stages in order; {@code kernel} and {@code run} only when asked for. */
  public static final List<String> STAGES =
      List.of("debootstrap", "configure", "kernel", "run", "slim", "mkfs", "cleanup", "done");

  /** The sandbox of the {@code --run} script ({@link #sandbox()}), in the work folder. */
  public static final String SANDBOX_FILE = "run-sandbox.sh";

  /** The {@code --run} script's text, written by the builder into the work folder. */
  public static final String RUN_SCRIPT_FILE = "hearth-run.sh";

  /** The distro kernel's bzImage, in the work folder. */
  public static final String VMLINUZ_FILE = "vmlinuz";

  /** What every image gets on top of minbase, whatever {@code --packages} adds. */
  public static final List<String> BASE_PACKAGES =
      List.of(
          "systemd-sysv",
          "udev",
          "openssh-server",
          "iproute2",
          "git",
          "tar",
          "coreutils",
          "util-linux",
          "procps",
          "ca-certificates");

  /** Debian's kernel, and the static busybox that hearth's small initrd runs on. */
  static final List<String> KERNEL_PACKAGES =
      List.of("linux-image-amd64", "initramfs-tools", "busybox-static");

  /**
   * The modules hearth's initrd loads (with what they depend on): virtio-mmio devices, the root
   * disk and its ext4, and the network card, so that eth0 is there before the guest's network unit
   * runs.
   */
  static final List<String> INITRD_MODULES =
      List.of("virtio_mmio", "virtio_blk", "virtio_net", "ext4");

  private static final String BODY_RESOURCE = "build-body.sh";
  private static final String SANDBOX_RESOURCE = "run-sandbox.sh";
  private static final Pattern PLACEHOLDER = Pattern.compile("@([A-Z_]+)@");

  private final String text;
  private final String cacheKey;
  private final Path cacheDir;

  private BuildScript(String text, String cacheKey, Path cacheDir) {
    this.text = text;
    this.cacheKey = cacheKey;
    this.cacheDir = cacheDir;
  }

  /**
   * Generates the script.
   *
   * @param out the staging folder that receives rootfs.ext4 and initrd ({@link
   *     StagedImage#folder()})
   * @param work the scratch folder for the tree and vmlinuz ({@link StagedImage#workDir()})
   * @param cacheRoot the folder holding base-tree caches, outside any staging folder
   */
  public static BuildScript generate(BuildSpec spec, Path out, Path work, Path cacheRoot) {
    String body = body(spec);
    String key = sha256(body);
    Path cacheDir = cacheRoot.resolve(key);
    String header =
        "#!/bin/sh\n"
            + "# hearth image build, generated: run as root. Per-build values first (paths, and the\n"
            + "# daemon's key: a new daemon must not miss the cache); the cache key is the sha256 of\n"
            + "# every line after them.\n"
            + "set -eu\n"
            + "OUT="
            + ShellQuote.quote(out.toString())
            + "\nWORK="
            + ShellQuote.quote(work.toString())
            + "\nCACHE="
            + ShellQuote.quote(cacheDir.toString())
            + "\nAUTHORIZED_KEY="
            + ShellQuote.quote(spec.authorizedKey().orElse(""))
            + "\nRUN_FILE="
            + ShellQuote.quote(
                spec.runScript().isPresent() ? work.resolve(RUN_SCRIPT_FILE).toString() : "")
            + "\n";
    return new BuildScript(header + body, key, cacheDir);
  }

  /** The script's text. */
  public String text() {
    return text;
  }

  /** The key of the base-tree cache: a sha256 of the script without its per-build values. */
  public String cacheKey() {
    return cacheKey;
  }

  /** Where this script reads and writes its cached base tree. */
  public Path cacheDir() {
    return cacheDir;
  }

  /** The stage a line of the script's output announces, if it is a stage line. */
  public static Optional<String> stageOf(String line) {
    if (!line.startsWith(STAGE_PREFIX)) {
      return Optional.empty();
    }
    String stage = line.substring(STAGE_PREFIX.length()).strip();
    return STAGES.contains(stage) ? Optional.of(stage) : Optional.empty();
  }

  static String body(BuildSpec spec) {
    List<String> include = new ArrayList<>(BASE_PACKAGES);
    if (spec.distroKernel()) {
      include.addAll(KERNEL_PACKAGES);
    }
    for (String p : spec.packages()) {
      if (!include.contains(p)) {
        include.add(p);
      }
    }
    Map<String, String> values = new LinkedHashMap<>();
    values.put("SUITE", spec.suite());
    values.put("MIRROR", spec.mirror());
    values.put("INCLUDE", String.join(",", include));
    values.put("SIZE", Long.toString(spec.sizeBytes()));
    values.put("DISTRO_KERNEL", spec.distroKernel() ? "yes" : "no");
    values.put("INITRD_MODULES", String.join(" ", INITRD_MODULES));
    values.put("ROOTFS_FILE", ImageFile.ROOTFS.fileName());
    values.put("INITRD_FILE", ImageFile.INITRD.fileName());
    values.put("VMLINUZ_FILE", VMLINUZ_FILE);
    values.put("SANDBOX_FILE", SANDBOX_FILE);
    Matcher m = PLACEHOLDER.matcher(template());
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalStateException("build script template has no value for " + m.group());
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(ShellQuote.quote(value)));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /**
   * The POSIX sh script that runs the {@code --run} script sandboxed: {@code run-sandbox.sh TREE
   * none|host COMMAND...} (mount, PID, IPC, UTS and, unless host, network namespaces; the tree as
   * root through pivot_root; its own /proc with the kernel knobs read-only; a private /dev; a
   * reduced capability bounding set), and {@code run-sandbox.sh make-dev DIR} (the private /dev
   * alone, for the build's own stages). The builder writes it as {@link #SANDBOX_FILE}.
   */
  public static String sandbox() {
    return resource(SANDBOX_RESOURCE);
  }

  private static String template() {
    return resource(BODY_RESOURCE);
  }

  private static String resource(String name) {
    try (InputStream in = BuildScript.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read resource " + name, e);
    }
  }

  private static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}

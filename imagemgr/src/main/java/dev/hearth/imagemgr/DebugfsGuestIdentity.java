package dev.hearth.imagemgr;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Names;
import dev.hearth.core.Runner;
import dev.hearth.core.ToolUser;
import dev.hearth.core.TreeDeleter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a VM's identity into its root disk (an ext4 image file or a block device) without mounting
 * it, with {@code debugfs -w}: {@code /etc/hostname}, the VM's line in {@code /etc/hosts}, {@code
 * /etc/resolv.conf}, {@code /root/.ssh/authorized_keys} with the daemon's key, {@link
 * GuestNetworkEnv#PATH} for images that configure their network themselves, and a host key of the
 * VM's own ({@link GuestHostKey}, made anew for each write; the image's host keys of other types
 * are removed), whose public part {@link #write} returns for the daemon to pin.
 *
 * <p>Each write replaces the file (debugfs cannot overwrite, so the target is removed first), so
 * writing twice gives the same disk. {@code authorized_keys} holds the daemon's key only. In {@code
 * /etc/hosts} hearth's line is marked {@code # hearth}; the image's other lines are kept.
 * Everything written belongs to root; the disk must not be mounted while this runs.
 *
 * <p>debugfs exits 0 whatever its commands do and reports failures on stderr only, without saying
 * which command of a script failed. So each folder and each file is one short debugfs call (a few
 * milliseconds each), and an error line is traced to the command of that call it names.
 */
public final class DebugfsGuestIdentity implements GuestIdentity {
  private static final Logger log = LoggerFactory.getLogger(DebugfsGuestIdentity.class);

  static final String HOSTS_MARKER = "# hearth";

  /**
   * stderr lines that do not report a failure: the version banner, a folder that already exists,
   * and the {@code rm} of a file that is not there yet.
   */
  private static final List<Pattern> HARMLESS =
      List.of(
          Pattern.compile("debugfs \\d+\\.\\d+.*"),
          Pattern.compile("ext2fs_mkdir: .*already exists.*"),
          Pattern.compile("mkdir: .*already exists.*"),
          Pattern.compile("rm: File not found by ext2_lookup.*"));

  /** Commands whose error lines start with their own name rather than with a path. */
  private static final List<String> SELF_NAMING = List.of("mkdir", "rm", "write");

  /** Folders the identity needs, with their mode where hearth owns them (else left as they are). */
  private static final List<Folder> FOLDERS =
      List.of(
          new Folder("/etc", null),
          new Folder("/etc/hearth", "040755"),
          new Folder("/etc/ssh", null),
          new Folder("/root", null),
          new Folder("/root/.ssh", "040700"));

  private final Runner runner;
  private final String debugfs;
  private final ToolUser tools;
  private final Optional<String> searchDomain;

  /** Uses {@code debugfs} from PATH, as root: for tests; the daemon passes its {@link ToolUser}. */
  public DebugfsGuestIdentity(Runner runner) {
    this(runner, "debugfs", ToolUser.ROOT, Optional.empty());
  }

  /**
   * @param tools the user debugfs runs as: the disk is a copy of an image a guest may have written
   *     (a promoted VM's), so a debugfs bug must not give it root
   */
  public DebugfsGuestIdentity(Runner runner, ToolUser tools) {
    this(runner, "debugfs", tools, Optional.empty());
  }

  /**
   * As the daemon writes identities: {@code searchDomain} (the VMs' DNS domain) goes into the
   * guest's resolv.conf as its search list, so that a bare VM name resolves in the guest.
   */
  public DebugfsGuestIdentity(Runner runner, ToolUser tools, String searchDomain) {
    this(runner, "debugfs", tools, Optional.of(searchDomain));
  }

  public DebugfsGuestIdentity(Runner runner, String debugfsProgram, ToolUser tools) {
    this(runner, debugfsProgram, tools, Optional.empty());
  }

  private DebugfsGuestIdentity(
      Runner runner, String debugfsProgram, ToolUser tools, Optional<String> searchDomain) {
    this.runner = runner;
    this.debugfs = debugfsProgram;
    this.tools = tools;
    this.searchDomain = searchDomain;
  }

  /**
   * Writes the identity.
   *
   * @param ipCidr the guest address with prefix, {@code 10.77.0.2/24}
   * @param authorizedKey one OpenSSH public key line
   * @return the public key line of the VM's new host key
   * @throws dev.hearth.core.InvalidNameException when the hostname is not a valid VM name
   * @throws IllegalArgumentException when an address or the key does not parse
   * @throws GuestIdentityException when the disk is not ext2/3/4 or a debugfs command fails, naming
   *     the disk and the command
   */
  @Override
  public String write(
      Path rootDisk,
      String hostname,
      String ipCidr,
      String gateway,
      String dnsServer,
      String authorizedKey)
      throws InterruptedException {
    Names.requireValid("VM", hostname);
    GuestNetworkEnv network = GuestNetworkEnv.parse(hostname, ipCidr, gateway, dnsServer);
    String keyLine = requireAuthorizedKey(authorizedKey);

    String hosts = mergeHosts(readGuestFile(rootDisk, "/etc/hosts"), network.ip(), hostname);
    GuestHostKey hostKey = GuestHostKey.generate("root@" + hostname);
    List<GuestFile> files =
        List.of(
            new GuestFile("hostname", "/etc/hostname", "0100644", hostname + "\n"),
            new GuestFile("hosts", "/etc/hosts", "0100644", hosts),
            new GuestFile(
                "resolv.conf", "/etc/resolv.conf", "0100644", network.resolvConf(searchDomain)),
            new GuestFile("network.env", GuestNetworkEnv.PATH, "0100644", network.render()),
            new GuestFile(
                "authorized_keys", "/root/.ssh/authorized_keys", "0100600", keyLine + "\n"),
            new GuestFile("host_key", GuestHostKey.PRIVATE_PATH, "0100600", hostKey.privateKey()),
            new GuestFile(
                "host_key.pub",
                GuestHostKey.PUBLIC_PATH,
                "0100644",
                hostKey.publicKeyLine() + "\n"));

    Path scratch = createScratch();
    try {
      List<Step> steps = new ArrayList<>();
      FOLDERS.forEach(folder -> steps.add(folder.step()));
      List<Path> granted = new ArrayList<>(List.of(rootDisk, scratch));
      for (GuestFile f : files) {
        Path file = scratch.resolve(f.hostName());
        Files.writeString(file, f.content(), StandardCharsets.UTF_8);
        granted.add(file);
        steps.add(f.step());
      }
      steps.add(removeOtherHostKeys());
      Path scriptFile = Files.createFile(scratch.resolve("step.debugfs"));
      granted.add(scriptFile);
      try (ToolUser.Grant grant = tools.grant(granted)) {
        for (Step step : steps) {
          run(rootDisk, scratch, step);
        }
      }
    } catch (IOException e) {
      throw new GuestIdentityException(
          "cannot prepare the identity files in " + scratch + ": " + e, e);
    } finally {
      deleteRecursively(scratch);
    }
    return hostKey.publicKeyLine();
  }

  /**
   * Host keys of other types that the image may hold (shared by every VM made from it): removed, so
   * that sshd offers only the VM's own ed25519 key, the one the daemon pins.
   */
  static final List<String> OTHER_HOST_KEYS =
      List.of(
          "/etc/ssh/ssh_host_rsa_key",
          "/etc/ssh/ssh_host_ecdsa_key",
          "/etc/ssh/ssh_host_dsa_key",
          "/etc/ssh/ssh_host_ecdsa_sk_key",
          "/etc/ssh/ssh_host_ed25519_sk_key");

  private static Step removeOtherHostKeys() {
    List<String> commands = new ArrayList<>();
    for (String key : OTHER_HOST_KEYS) {
      commands.add("rm " + quote(key));
      commands.add("rm " + quote(key + ".pub"));
    }
    return new Step("remove the image's other SSH host keys", commands);
  }

  /** debugfs commands that do one thing, run as one debugfs call. */
  record Step(String what, List<String> commands) {}

  /** A folder the identity needs; {@code mode} null leaves an existing folder's mode alone. */
  private record Folder(String path, String mode) {
    Step step() {
      List<String> commands = new ArrayList<>();
      commands.add("mkdir " + quote(path));
      if (mode != null) {
        commands.addAll(owned(path, mode));
      }
      return new Step("create folder " + path, commands);
    }
  }

  /** A file the identity writes: its name in the scratch folder, guest path, mode, content. */
  private record GuestFile(String hostName, String guestPath, String mode, String content) {
    Step step() {
      List<String> commands = new ArrayList<>();
      commands.add("rm " + quote(guestPath));
      commands.add("write " + quote(hostName) + " " + quote(guestPath));
      commands.addAll(owned(guestPath, mode));
      return new Step("write " + guestPath, commands);
    }
  }

  private static List<String> owned(String path, String mode) {
    return List.of(
        "sif " + quote(path) + " mode " + mode,
        "sif " + quote(path) + " uid 0",
        "sif " + quote(path) + " gid 0");
  }

  private void run(Path disk, Path scratch, Step step) throws IOException, InterruptedException {
    Path scriptFile = scratch.resolve("step.debugfs");
    Files.write(scriptFile, step.commands(), StandardCharsets.UTF_8);
    // `write` takes host names relative to the working directory: the scratch folder.
    CommandResult result =
        runner.check(
            tools.confine(
                Command.builder(debugfs)
                    .args("-w", "-f", scriptFile.toString(), tools.deviceName(disk))
                    .cwd(scratch)
                    .build(),
                disk));
    List<String> errors = errors(result.stderr());
    if (!errors.isEmpty()) {
      throw new GuestIdentityException(
          "debugfs could not " + step.what() + " in " + disk + ": " + describe(errors, step));
    }
  }

  /**
   * Double quotes for debugfs's parser, so that a space never splits an argument. A double quote or
   * a line break cannot be quoted for it at all, so such a name is refused.
   */
  static String quote(String word) {
    if (word.indexOf('"') >= 0 || word.indexOf('\n') >= 0 || word.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(
          "debugfs cannot take a name with a double quote or a line break: " + word);
    }
    return "\"" + word + "\"";
  }

  /**
   * The file's content in the disk, or "" when it is not there. The first debugfs call on the disk,
   * so it is also where a disk that is missing or not ext2/3/4 shows up.
   */
  private String readGuestFile(Path disk, String guestPath) throws InterruptedException {
    boolean exists = Files.exists(disk);
    Command cat =
        Command.of(
            debugfs,
            "-R",
            "cat " + quote(guestPath),
            exists ? tools.deviceName(disk) : disk.toString());
    cat = exists ? tools.confine(cat, disk) : tools.confine(cat);
    CommandResult result;
    try (ToolUser.Grant grant = tools.grant(exists ? List.of(disk) : List.of())) {
      result = runner.check(cat);
    } catch (IOException e) {
      throw new GuestIdentityException(
          "cannot hand " + disk + " to uid " + tools.uid() + " for debugfs: " + e, e);
    }
    for (String line : errors(result.stderr())) {
      if (line.contains("while trying to open") || line.contains("Filesystem not open")) {
        String problem =
            Files.exists(disk)
                ? "root disk " + disk + " is not an ext2/3/4 filesystem"
                : "root disk " + disk + " does not exist";
        throw new GuestIdentityException(problem + " (debugfs: " + line.strip() + ")");
      }
      if (line.startsWith(guestPath + ": File not found")) {
        return "";
      }
      throw new GuestIdentityException(
          "debugfs could not read " + guestPath + " from " + disk + ": " + line.strip());
    }
    return result.stdout();
  }

  /** The image's hosts file with hearth's line for this VM in place of any earlier one. */
  static String mergeHosts(String existing, String ip, String hostname) {
    List<String> kept =
        existing.lines().filter(l -> !l.stripTrailing().endsWith(HOSTS_MARKER)).toList();
    StringBuilder sb = new StringBuilder();
    if (kept.stream().noneMatch(l -> l.contains("localhost"))) {
      sb.append("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    }
    kept.forEach(l -> sb.append(l).append('\n'));
    sb.append(ip).append('\t').append(hostname).append('\t').append(HOSTS_MARKER).append('\n');
    return sb.toString();
  }

  /** The stderr lines that report a failed command. */
  static List<String> errors(String stderr) {
    return stderr
        .lines()
        .map(String::strip)
        .filter(l -> !l.isEmpty())
        .filter(l -> HARMLESS.stream().noneMatch(p -> p.matcher(l).matches()))
        .toList();
  }

  /**
   * Names the command behind each error line. {@code mkdir}, {@code rm} and {@code write} start
   * their errors with their own name ({@code write: ...}); commands that look a path up ({@code
   * sif}) start them with the path ({@code /etc/hosts: ...}). Errors come in script order, so each
   * is matched from just after the command the previous one was traced to.
   */
  static String describe(List<String> errors, Step step) {
    List<String> commands = step.commands();
    List<String> described = new ArrayList<>();
    int after = -1;
    for (String error : errors) {
      int colon = error.indexOf(':');
      String subject = colon < 0 ? error : error.substring(0, colon);
      int found = find(commands, subject, after + 1);
      if (found < 0) {
        found = find(commands, subject, 0);
      }
      if (found < 0) {
        described.add(error);
      } else {
        described.add("`" + commands.get(found) + "` failed: " + error);
        after = found;
      }
    }
    return String.join("; ", described);
  }

  private static int find(List<String> commands, String subject, int from) {
    for (int i = from; i < commands.size(); i++) {
      String c = commands.get(i);
      boolean named = c.startsWith(subject + " ");
      boolean looksUp =
          SELF_NAMING.stream().noneMatch(v -> c.startsWith(v + " "))
              && c.contains(" \"" + subject + "\"");
      if (named || looksUp) {
        return i;
      }
    }
    return -1;
  }

  private static String requireAuthorizedKey(String line) {
    if (line.lines().count() != 1) {
      throw new IllegalArgumentException("the authorized key must be exactly one line");
    }
    try {
      if (AuthorizedKeyEntry.parseAuthorizedKeyEntry(line) == null) {
        throw new IllegalArgumentException("the authorized key line is empty");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + line + "' is not an OpenSSH public key line", e);
    }
    return line.strip();
  }

  private static Path createScratch() {
    try {
      // Owner only: the VM's private host key passes through it.
      return Files.createTempDirectory(
          "hearth-identity-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new GuestIdentityException("cannot create a scratch folder for debugfs: " + e, e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try {
      TreeDeleter.delete(dir);
    } catch (IOException e) {
      // The folder is the daemon's own (0700); the host key left in it is a leak to root only.
      log.warn("cannot remove the scratch folder {}: {}", dir, e.toString());
    }
  }
}

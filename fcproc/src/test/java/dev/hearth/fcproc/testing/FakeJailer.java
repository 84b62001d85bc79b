package dev.hearth.fcproc.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A stand-in for Firecracker's jailer that holds its command line and the jail hearth prepared to
 * the jailer's documentation (docs/jailer.md of Firecracker v1.16.1), does to the jail what the
 * jailer does (copies the exec file in, makes {@code dev/kvm} and {@code dev/net/tun} (as empty
 * files: no mknod), chowns the jail's root to {@code --uid}:{@code --gid} when run as root), and
 * then runs {@link FakeFirecracker} in this very process as the jailer execs firecracker (same
 * pid), with the jail's root as the fake's {@code /} ({@link FakeFirecracker#JAIL_ROOT_PROPERTY})
 * and the arguments the jailer passes: {@code --id=ID --start-time-us=N --start-time-cpu-us=N} and
 * those after {@code --}.
 *
 * <p>It does not pivot_root, enter namespaces, join cgroups or drop privileges: the fake runs as
 * the test's user, which checks only what hearth controls. A command line or jail against the rules
 * exits 1 with the reason on stderr (in the VM's console log), as the jailer does.
 *
 * <p>With {@link #RECORD_PROPERTY} set to a folder, the argv is written there as {@code <id>.argv},
 * one word per line, for the test to read.
 */
public final class FakeJailer {
  /** System property: the folder each run's argv is written to as {@code <id>.argv}. */
  public static final String RECORD_PROPERTY = "hearth.fake.jailer.record";

  /** The jailer's default {@code --chroot-base-dir}. */
  static final Path DEFAULT_CHROOT_BASE = Path.of("/srv/jailer");

  private static final Pattern ID = Pattern.compile("[a-zA-Z0-9-]{1,64}");
  private static final Pattern NUMBER = Pattern.compile("[0-9]{1,10}");
  private static final Pattern CGROUP = Pattern.compile("([a-z_]+)\\.([a-z_.]+)=(.+)");

  /** The cgroup files of each version that a caller may set (as the jailer finds them). */
  private static final Map<Integer, Set<String>> CGROUP_FILES =
      Map.of(
          1,
          Set.of(
              "memory.limit_in_bytes",
              "cpu.cfs_quota_us",
              "cpu.cfs_period_us",
              "cpu.shares",
              "pids.max",
              "cpuset.cpus",
              "cpuset.mems"),
          2,
          Set.of(
              "memory.max",
              "memory.swap.max",
              "cpu.max",
              "pids.max",
              "cpuset.cpus",
              "cpuset.mems"));

  /** A command line that follows the documentation. */
  public record Invocation(
      String id,
      Path execFile,
      int uid,
      int gid,
      Path chrootBase,
      int cgroupVersion,
      List<String> cgroups,
      Optional<String> parentCgroup,
      Optional<Path> netns,
      boolean daemonize,
      boolean newPidNs,
      List<String> resourceLimits,
      List<String> firecrackerArgs) {

    /** {@code <chroot_base>/<exec_file_name>/<id>/root}. */
    public Path chrootDir() {
      return chrootBase.resolve(execFile.getFileName().toString()).resolve(id).resolve("root");
    }
  }

  private FakeJailer() {}

  /**
   * Reads a jailer command line (without the program name) by the documented rules.
   *
   * @throws IllegalArgumentException naming the rule broken
   */
  public static Invocation parse(List<String> args) {
    String id = null;
    Path execFile = null;
    Integer uid = null;
    Integer gid = null;
    Path chrootBase = DEFAULT_CHROOT_BASE;
    int cgroupVersion = 1;
    List<String> cgroups = new ArrayList<>();
    Optional<String> parent = Optional.empty();
    Optional<Path> netns = Optional.empty();
    boolean daemonize = false;
    boolean newPidNs = false;
    List<String> limits = new ArrayList<>();
    List<String> rest = List.of();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) {
        rest = List.copyOf(args.subList(i + 1, args.size()));
        break;
      }
      switch (arg) {
        case "--id" -> id = once(id, arg, value(args, ++i));
        case "--exec-file" -> execFile = Path.of(once(execFile, arg, value(args, ++i)));
        case "--uid" -> uid = number(once(uid, arg, value(args, ++i)), arg);
        case "--gid" -> gid = number(once(gid, arg, value(args, ++i)), arg);
        case "--chroot-base-dir" -> chrootBase = Path.of(value(args, ++i));
        case "--cgroup-version" -> {
          String v = value(args, ++i);
          if (!v.equals("1") && !v.equals("2")) {
            throw new IllegalArgumentException("--cgroup-version is 1 or 2, got " + v);
          }
          cgroupVersion = Integer.parseInt(v);
        }
        case "--cgroup" -> cgroups.add(value(args, ++i));
        case "--parent-cgroup" -> parent = Optional.of(value(args, ++i));
        case "--netns" -> netns = Optional.of(Path.of(value(args, ++i)));
        case "--resource-limit" -> limits.add(value(args, ++i));
        case "--daemonize" -> daemonize = true;
        case "--new-pid-ns" -> newPidNs = true;
        default ->
            throw new IllegalArgumentException(
                "Arguments parsing error: Found argument '" + arg + "' which wasn't expected");
      }
    }
    for (var required :
        Map.of("--id", Optional.ofNullable(id), "--exec-file", Optional.ofNullable(execFile))
            .entrySet()) {
      if (required.getValue().isEmpty()) {
        throw new IllegalArgumentException("Arguments parsing error: " + required.getKey());
      }
    }
    if (uid == null || gid == null) {
      throw new IllegalArgumentException("Arguments parsing error: --uid and --gid are required");
    }
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "Invalid instance ID: " + id + " (alphanumeric and '-', at most 64)");
    }
    Path name = execFile.getFileName();
    if (name == null || !name.toString().contains("firecracker")) {
      throw new IllegalArgumentException(
          "Invalid filename. The filename of `--exec-file` option must contain \"firecracker\": "
              + execFile);
    }
    if (!chrootBase.isAbsolute()) {
      throw new IllegalArgumentException("--chroot-base-dir must be absolute: " + chrootBase);
    }
    for (String cgroup : cgroups) {
      var m = CGROUP.matcher(cgroup);
      if (!m.matches()) {
        throw new IllegalArgumentException("Invalid format for --cgroup: " + cgroup);
      }
      String file = cgroup.substring(0, cgroup.indexOf('='));
      if (!CGROUP_FILES.get(cgroupVersion).contains(file)) {
        throw new IllegalArgumentException(
            "no cgroup v" + cgroupVersion + " file " + file + " (--cgroup " + cgroup + ")");
      }
    }
    if (parent.isPresent()
        && (parent.get().startsWith("/") || Path.of(parent.get()).normalize().startsWith(".."))) {
      throw new IllegalArgumentException("--parent-cgroup must be relative: " + parent.get());
    }
    for (String word : rest) {
      if (word.equals("--id") || word.startsWith("--id=")) {
        throw new IllegalArgumentException("the jailer passes --id to firecracker itself: " + word);
      }
    }
    return new Invocation(
        id,
        execFile,
        uid,
        gid,
        chrootBase,
        cgroupVersion,
        List.copyOf(cgroups),
        parent,
        netns,
        daemonize,
        newPidNs,
        List.copyOf(limits),
        rest);
  }

  /**
   * Checks the jail hearth made against what the jailer and firecracker need: the chroot folder a
   * real folder, and the folder of {@code --api-sock} (inside the jail) owned by {@code --uid}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static void checkJail(Invocation run) throws IOException {
    Path root = run.chrootDir();
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException("the jail " + root + " is not a folder");
    }
    if (!Files.isRegularFile(run.execFile()) || !Files.isExecutable(run.execFile())) {
      throw new IllegalArgumentException("--exec-file " + run.execFile() + " is not executable");
    }
    if (run.netns().isPresent() && !Files.exists(run.netns().get())) {
      throw new IllegalArgumentException("--netns " + run.netns().get() + " does not exist");
    }
    int at = run.firecrackerArgs().indexOf("--api-sock");
    if (at >= 0) {
      Path socket = Path.of(run.firecrackerArgs().get(at + 1));
      if (!socket.isAbsolute()) {
        throw new IllegalArgumentException("--api-sock inside the jail is relative: " + socket);
      }
      Path folder = root.resolve(socket.getRoot().relativize(socket)).getParent();
      Object owner = Files.getAttribute(folder, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      if (!owner.equals(run.uid())) {
        throw new IllegalArgumentException(
            "the API socket's folder " + folder + " is uid " + owner + "'s, not " + run.uid());
      }
    }
  }

  public static void main(String[] args) {
    Invocation run;
    try {
      run = parse(List.of(args));
      checkJail(run);
      record(run, args);
      buildJail(run);
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("fake jailer: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.setProperty(FakeFirecracker.JAIL_ROOT_PROPERTY, run.chrootDir().toString());
    List<String> firecracker = new ArrayList<>();
    firecracker.add("--id=" + run.id());
    firecracker.add("--start-time-us=0");
    firecracker.add("--start-time-cpu-us=0");
    firecracker.addAll(run.firecrackerArgs());
    FakeFirecrackerMain.main(firecracker.toArray(String[]::new));
  }

  private static void record(Invocation run, String[] args) throws IOException {
    String folder = System.getProperty(RECORD_PROPERTY);
    if (folder != null) {
      Files.write(Path.of(folder).resolve(run.id() + ".argv"), List.of(args));
    }
  }

  /** What the jailer itself puts into the jail before it execs firecracker. */
  private static void buildJail(Invocation run) throws IOException {
    Path root = run.chrootDir();
    Files.copy(
        run.execFile(),
        root.resolve(run.execFile().getFileName().toString()),
        StandardCopyOption.REPLACE_EXISTING);
    Files.createDirectories(root.resolve("dev/net"));
    for (String device : List.of("dev/kvm", "dev/net/tun")) {
      if (!Files.exists(root.resolve(device))) {
        Files.createFile(root.resolve(device));
      }
    }
    if ("root".equals(System.getProperty("user.name"))) {
      Files.setAttribute(root, "unix:uid", run.uid(), LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(root, "unix:gid", run.gid(), LinkOption.NOFOLLOW_LINKS);
    }
  }

  private static String value(List<String> args, int i) {
    if (i >= args.size()) {
      throw new IllegalArgumentException(
          "Arguments parsing error: " + args.get(i - 1) + " needs a value");
    }
    return args.get(i);
  }

  private static <T> String once(T seen, String arg, String value) {
    if (seen != null) {
      throw new IllegalArgumentException("Arguments parsing error: " + arg + " given twice");
    }
    return value;
  }

  private static int number(String value, String arg) {
    if (!NUMBER.matcher(value).matches()) {
      throw new IllegalArgumentException(arg + " must be a number, got '" + value + "'");
    }
    return Integer.parseInt(value);
  }

  /** Writes an executable script that runs this stand-in, as {@code jailer_bin}. */
  public static Path script(Path script, Map<String, String> systemProperties) {
    // The jailer closes every descriptor but 0 to 2 (docs/jailer.md): those a shell can name.
    return FakeFirecrackerScript.write(
        script,
        systemProperties,
        FakeJailer.class.getName(),
        "exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-\n");
  }
}

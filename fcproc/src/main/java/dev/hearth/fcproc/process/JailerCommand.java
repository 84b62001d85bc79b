package dev.hearth.fcproc.process;

import static java.util.Objects.requireNonNull;

import dev.hearth.core.CgroupLimits;
import dev.hearth.fcproc.internal.ApiIds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The jailer's command line for one VM, as Firecracker's jailer documentation (docs/jailer.md)
 * describes it: {@code jailer --id ID --exec-file FIRECRACKER --uid UID --gid GID --chroot-base-dir
 * BASE [--cgroup-version V --parent-cgroup P --cgroup FILE=VALUE ...] -- --api-sock SOCKET}. The
 * jailer passes {@code --id} on to firecracker itself, so the arguments after {@code --} are only
 * those the jailer does not give.
 *
 * <p>Never {@code --daemonize}: the launcher already makes the jailer a session leader (with which
 * {@code setsid()} and so {@code --daemonize} fail), and firecracker's stdout and stderr must stay
 * the console pipe rather than /dev/null. Never {@code --new-pid-ns}: without it the jailer execs
 * firecracker in place, so the pid the launcher started is firecracker's, and its start time the
 * same, which is what reconcile adopts. Never {@code --netns}: hearth's TAPs live in the host's
 * network namespace.
 *
 * @param jailer the jailer binary
 * @param execFile the firecracker binary; the jailer wants "firecracker" in its file name
 * @param id firecracker's {@code --id} and the jail's folder name: 1 to 64 letters, digits, '-'
 * @param uid the uid firecracker runs as
 * @param gid its gid
 * @param chrootBase the absolute folder under which the jailer makes {@code
 *     <exec-file-name>/<id>/root}
 * @param cgroupVersion 1 or 2, or empty to pass no cgroup settings at all
 * @param limits what the VM's cgroup holds firecracker to (ignored without a cgroup version)
 * @param apiSocket the API socket as firecracker sees it inside the jail (absolute)
 */
public record JailerCommand(
    Path jailer,
    Path execFile,
    String id,
    int uid,
    int gid,
    Path chrootBase,
    OptionalInt cgroupVersion,
    CgroupLimits limits,
    Path apiSocket) {

  /** The cgroup the jailer makes each VM's group in ({@code <hierarchy>/hearth-jailer/<id>}). */
  public static final String PARENT_CGROUP = "hearth-jailer";

  /** The CPU period of {@code cpu.max} / {@code cpu.cfs_period_us}, in microseconds. */
  static final long CPU_PERIOD_MICROS = 100_000;

  public JailerCommand {
    requireNonNull(jailer, "jailer");
    requireNonNull(execFile, "execFile");
    requireNonNull(chrootBase, "chrootBase");
    requireNonNull(cgroupVersion, "cgroupVersion");
    requireNonNull(limits, "limits");
    requireNonNull(apiSocket, "apiSocket");
    if (id == null || !ApiIds.INSTANCE_ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "invalid jailer --id '" + id + "': use 1 to 64 letters, digits and '-'");
    }
    Path name = execFile.getFileName();
    if (!execFile.isAbsolute() || name == null || !name.toString().contains("firecracker")) {
      throw new IllegalArgumentException(
          "the jailer's --exec-file must be an absolute path whose file name contains"
              + " 'firecracker', got "
              + execFile);
    }
    if (!chrootBase.isAbsolute()) {
      throw new IllegalArgumentException(
          "the jailer's --chroot-base-dir must be absolute, got " + chrootBase);
    }
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("invalid uid " + uid + " or gid " + gid);
    }
    if (cgroupVersion.isPresent()
        && cgroupVersion.getAsInt() != 1
        && cgroupVersion.getAsInt() != 2) {
      throw new IllegalArgumentException(
          "the jailer's --cgroup-version is 1 or 2, got " + cgroupVersion.getAsInt());
    }
    if (!apiSocket.isAbsolute()) {
      throw new IllegalArgumentException(
          "the API socket inside the jail must be absolute, got " + apiSocket);
    }
  }

  /**
   * The folder the jailer makes firecracker's {@code /}: {@code <chroot-base>/<exec>/<id>/root}.
   */
  public Path root() {
    return chrootBase.resolve(execFile.getFileName().toString()).resolve(id).resolve("root");
  }

  /** The whole argv, the jailer first. */
  public List<String> argv() {
    List<String> argv = new ArrayList<>();
    argv.add(jailer.toString());
    argv.addAll(List.of("--id", id));
    argv.addAll(List.of("--exec-file", execFile.toString()));
    argv.addAll(List.of("--uid", Integer.toString(uid)));
    argv.addAll(List.of("--gid", Integer.toString(gid)));
    argv.addAll(List.of("--chroot-base-dir", chrootBase.toString()));
    if (cgroupVersion.isPresent()) {
      argv.addAll(List.of("--cgroup-version", Integer.toString(cgroupVersion.getAsInt())));
      argv.addAll(List.of("--parent-cgroup", PARENT_CGROUP));
      for (String setting : cgroupSettings(cgroupVersion.getAsInt(), limits)) {
        argv.addAll(List.of("--cgroup", setting));
      }
    }
    argv.add("--");
    argv.addAll(List.of("--api-sock", apiSocket.toString()));
    return List.copyOf(argv);
  }

  /**
   * The {@code --cgroup FILE=VALUE} settings for {@code limits} in cgroup {@code version}'s file
   * names: v2 {@code memory.max}, {@code pids.max}, {@code cpu.max} ("QUOTA PERIOD"); v1 {@code
   * memory.limit_in_bytes}, {@code pids.max}, {@code cpu.cfs_period_us} and {@code
   * cpu.cfs_quota_us}.
   */
  public static List<String> cgroupSettings(int version, CgroupLimits limits) {
    List<String> settings = new ArrayList<>();
    boolean v2 = version == 2;
    limits
        .memoryBytes()
        .ifPresent(m -> settings.add((v2 ? "memory.max=" : "memory.limit_in_bytes=") + m));
    limits.maxProcesses().ifPresent(p -> settings.add("pids.max=" + p));
    if (limits.cpus().isPresent()) {
      long quota = Math.max(1000, Math.round(limits.cpus().getAsDouble() * CPU_PERIOD_MICROS));
      if (v2) {
        settings.add("cpu.max=" + quota + " " + CPU_PERIOD_MICROS);
      } else {
        settings.add("cpu.cfs_period_us=" + CPU_PERIOD_MICROS);
        settings.add("cpu.cfs_quota_us=" + quota);
      }
    }
    return settings;
  }
}

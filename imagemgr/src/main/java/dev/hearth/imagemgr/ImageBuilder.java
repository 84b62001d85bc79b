package dev.hearth.imagemgr;

import dev.hearth.core.Cgroup;
import dev.hearth.core.CgroupException;
import dev.hearth.core.CgroupLimits;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.CoreException;
import dev.hearth.core.LineListener;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an image build on this host: a staging folder, {@link BuildScript} written to its work
 * folder and run as {@code sh} through the runner, then the rootfs adopted and a kernel taken (the
 * given one, or the distro's vmlinuz through {@link VmlinuxExtractor}, with its initrd). The
 * script's {@code hearth-stage:} lines become stages and its other output log lines.
 *
 * <p>Interrupted (a cancel) or failed, the script's process group first gets SIGTERM, so that its
 * trap kills chrooted processes and unmounts; past the grace the tree is killed. Then {@link
 * BuildLeftovers#sweep} removes whatever the trap could not, and only then is the staging folder
 * deleted. Publishing the result is the caller's (under its image lock).
 */
public final class ImageBuilder {
  private static final Logger log = LoggerFactory.getLogger(ImageBuilder.class);

  /** The first stage, before the script runs. */
  public static final String PREPARE = "prepare";

  /**
   * The stages a build reports, in order: {@link #PREPARE}, then the script's ({@link
   * BuildScript#STAGES}, without its end marker {@code done}).
   */
  public static final List<String> STAGES = stages();

  static final String SCRIPT_END = "done";
  static final String PID_PREFIX = "hearth-pid: ";
  static final String SCRIPT_FILE = "build.sh";
  static final String RUN_NETWORK_ENV = "HEARTH_BUILD_RUN_NETWORK";
  static final String BUILD_CGROUP_PREFIX = "build-";

  /** Where a build's progress goes (an operation's stage and log). */
  public interface Progress {
    void stage(String stage);

    void log(String line);
  }

  private final Runner runner;
  private final Posix posix;
  private final ImageStaging staging;
  private final BuildLeftovers leftovers;
  private final Path cacheRoot;
  private final Duration timeout;
  private final Duration termGrace;
  private final boolean runHostNetwork;
  private final Cgroups cgroups;
  private final CgroupLimits limits;
  private final String cgroupPrefix;
  private final AtomicBoolean unboundedWarned = new AtomicBoolean();

  /**
   * @param cacheRoot where the build script caches base trees
   * @param timeout how long the script may run
   * @param termGrace how long a cancelled or failed script gets for its trap before SIGKILL
   * @param runHostNetwork whether the {@code --run} script shares the host's network namespace
   *     (config {@code build_run_network = "host"}) rather than getting one of its own
   * @param cgroups where each build gets a cgroup bounding all its processes with {@code limits}
   *     (without usable cgroups builds run unbounded, with a warning)
   */
  public ImageBuilder(
      Runner runner,
      Posix posix,
      ImageStaging staging,
      BuildLeftovers leftovers,
      Path cacheRoot,
      Duration timeout,
      Duration termGrace,
      boolean runHostNetwork,
      Cgroups cgroups,
      CgroupLimits limits) {
    this.runHostNetwork = runHostNetwork;
    this.cgroups = cgroups;
    this.limits = limits;
    // build-<tag>-: see Cgroups.ownerTag
    this.cgroupPrefix = BUILD_CGROUP_PREFIX + Cgroups.ownerTag(staging.stagingDir()) + "-";
    this.runner = runner;
    this.posix = posix;
    this.staging = staging;
    this.leftovers = leftovers;
    this.cacheRoot = cacheRoot;
    this.timeout = timeout;
    this.termGrace = termGrace;
  }

  /**
   * Sweeps what builds cut short by a crash left: their cgroups (a daemon killed mid-build cannot
   * close them; whatever still runs there is killed), then the mounts and chrooted processes in the
   * staging folder, before anything deletes it. Only this daemon's groups: their names carry its
   * staging folder's tag, so another daemon's builds on the same host are left alone.
   */
  public void sweep(Path stagingDir) throws InterruptedException {
    for (String group : cgroups.existing(cgroupPrefix)) {
      log.warn("removing cgroup hearth/{}, left by a build an earlier run did not finish", group);
      try {
        cgroups.remove(group);
      } catch (CgroupException e) {
        throw new ImageBuildException(
            "cannot remove the cgroup of a build an earlier run left: " + e.getMessage(), e);
      }
    }
    leftovers.sweep(stagingDir);
  }

  /**
   * Builds the image {@code name} into a staging folder and returns it, complete and ready to
   * publish. On failure or interrupt the staging folder is already discarded.
   *
   * @param kernel a vmlinux to take; empty for the distro kernel (the spec must then build it)
   */
  public StagedImage build(
      String name, BuildSpec spec, Optional<ImageSource> kernel, Progress progress)
      throws Exception {
    progress.stage(PREPARE);
    StagedImage staged = staging.begin(name);
    boolean built = false;
    try {
      Path work = staged.workDir();
      BuildScript script = BuildScript.generate(spec, staged.folder(), work, cacheRoot);
      Path file = work.resolve(SCRIPT_FILE);
      Files.writeString(file, script.text(), StandardCharsets.UTF_8);
      Files.writeString(
          work.resolve(BuildScript.SANDBOX_FILE), BuildScript.sandbox(), StandardCharsets.UTF_8);
      if (spec.runScript().isPresent()) {
        Files.writeString(
            work.resolve(BuildScript.RUN_SCRIPT_FILE),
            spec.runScript().get(),
            StandardCharsets.UTF_8);
      }
      log.info("building image {} (base tree cache {})", name, script.cacheDir());
      runScript(name, file, work, progress);
      staged.adopt(ImageFile.ROOTFS);
      if (kernel.isPresent()) {
        staged.copyKernel(kernel.get());
      } else {
        new VmlinuxExtractor(runner)
            .extract(work.resolve(BuildScript.VMLINUZ_FILE), staged.pathOf(ImageFile.KERNEL));
        staged.adopt(ImageFile.KERNEL);
        staged.adopt(ImageFile.INITRD);
      }
      built = true;
      return staged;
    } finally {
      if (!built) {
        discard(staged, progress);
      }
    }
  }

  /**
   * Removes a staging folder the build will not publish: its leftovers first, then the folder. A
   * mount that stays keeps the folder; that is logged (and told to {@code progress}), not thrown.
   */
  public void discard(StagedImage staged, Progress progress) throws InterruptedException {
    boolean interrupted = Thread.interrupted();
    try {
      leftovers.sweep(staged.folder());
      staged.abort();
    } catch (ImageBuildException e) {
      log.error(
          "image build of {} left {} behind: {}", staged.name(), staged.folder(), e.getMessage());
      progress.log("hearth: " + e.getMessage());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Runs the script and waits; on interrupt (cancel) gives its trap the grace, then kills. */
  private void runScript(String name, Path script, Path work, Progress progress) throws Exception {
    Optional<Cgroup> group = cgroupFor(name);
    try {
      runScript(name, script, work, progress, group.map(Cgroup::procsFiles).orElse(List.of()));
    } finally {
      // The script's PID namespace ends with it; this also takes anything that left it.
      group.ifPresent(Cgroup::close);
    }
  }

  private Optional<Cgroup> cgroupFor(String name) {
    if (!cgroups.available()) {
      if (!unboundedWarned.getAndSet(true)) {
        log.warn("image builds run without memory or process limits: {}", cgroups.describe());
      }
      return Optional.empty();
    }
    try {
      return Optional.of(cgroups.create(cgroupPrefix + name, limits));
    } catch (CgroupException e) {
      throw new ImageBuildException("cannot bound the build's processes: " + e.getMessage(), e);
    }
  }

  private void runScript(
      String name, Path script, Path work, Progress progress, List<Path> cgroupProcs)
      throws Exception {
    // The wrapper joins the build's cgroup and reports its pid (the process group, as the runner
    // starts it in a session of its own) before it becomes the build script.
    Command command =
        Command.builder("sh")
            .args(wrapperArgs(script, cgroupProcs))
            .env(RUN_NETWORK_ENV, runHostNetwork ? "host" : "none")
            .cwd(work)
            .timeout(timeout)
            .build();
    AtomicInteger pid = new AtomicInteger();
    AtomicReference<String> stage = new AtomicReference<>(PREPARE);
    LineListener listener =
        (source, line) -> {
          if (pid.get() == 0 && line.startsWith(PID_PREFIX)) {
            pid.set(Integer.parseInt(line.substring(PID_PREFIX.length()).strip()));
            return;
          }
          Optional<String> scriptStage = BuildScript.stageOf(line);
          if (scriptStage.isPresent()) {
            // The script's last stage only marks its end; publishing follows.
            if (!scriptStage.get().equals(SCRIPT_END)) {
              stage.set(scriptStage.get());
              progress.stage(scriptStage.get());
            }
          } else {
            progress.log(line);
          }
        };
    FutureTask<CommandResult> task = new FutureTask<>(() -> runner.stream(command, listener));
    Thread thread = new Thread(task, "image-build-" + name);
    thread.setDaemon(true);
    thread.start();
    CommandResult result;
    try {
      result = task.get();
    } catch (InterruptedException e) {
      terminate(task, thread, pid.get());
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
    if (!result.ok()) {
      throw new ImageBuildException(
          "the build script failed with exit code "
              + result.exitCode()
              + " in stage "
              + stage.get()
              + lastWords(result));
    }
  }

  /**
   * The arguments of {@code sh} that run the build script: the wrapper reports its pid, then
   * becomes {@code setpriv --pdeathsig KILL} (so the chain dies with the daemon's thread that
   * started it, a daemon crash included) and {@code unshare} with mount and PID namespaces of its
   * own and a fresh /proc; the script is the namespace's init, so when it ends or is killed every
   * process the build started is killed by the kernel ({@code --kill-child} kills it in turn when
   * unshare dies). Before all that it writes its pid into {@code cgroupProcs}, so the build and
   * everything it starts stay in its cgroup.
   */
  static List<String> wrapperArgs(Path script, List<Path> cgroupProcs) {
    List<String> args = new ArrayList<>();
    args.add("-c");
    args.add(
        "script=$1; shift; for procs; do echo $$ > \"$procs\" || exit 125; done; echo \""
            + PID_PREFIX
            + "$$\"; exec setpriv --pdeathsig KILL -- unshare --mount --propagation private"
            + " --mount-proc --pid --fork --kill-child=SIGKILL --ipc --uts -- sh \"$script\"");
    args.add("sh");
    args.add(script.toString());
    cgroupProcs.forEach(procs -> args.add(procs.toString()));
    return List.copyOf(args);
  }

  private void terminate(FutureTask<CommandResult> task, Thread thread, int pid)
      throws InterruptedException {
    if (pid > 0) {
      try {
        posix.kill(-pid, Posix.Signal.SIGTERM);
      } catch (CoreException e) {
        log.warn("cannot signal the build script's group {}: {}", pid, e.getMessage());
      }
    }
    try {
      task.get(termGrace.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      task.cancel(true); // the runner kills the whole tree
    } catch (InterruptedException e) {
      task.cancel(true);
    }
    // The listener runs on that thread: it must be done before the caller's final write.
    thread.join();
  }

  private static String lastWords(CommandResult result) {
    List<String> lines = result.stderr().strip().lines().toList();
    return lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1);
  }

  private static List<String> stages() {
    List<String> all = new ArrayList<>();
    all.add(PREPARE);
    BuildScript.STAGES.stream().filter(s -> !s.equals(SCRIPT_END)).forEach(all::add);
    return List.copyOf(all);
  }
}

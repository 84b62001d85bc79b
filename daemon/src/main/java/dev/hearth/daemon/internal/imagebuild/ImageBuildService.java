package dev.hearth.daemon.internal.imagebuild;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.CoreException;
import dev.hearth.core.LineListener;
import dev.hearth.core.Posix;
import dev.hearth.core.Runner;
import dev.hearth.daemon.HearthException;
import dev.hearth.imagemgr.BuildScript;
import dev.hearth.imagemgr.BuildSpec;
import dev.hearth.imagemgr.ImageFile;
import dev.hearth.imagemgr.ImageNames;
import dev.hearth.imagemgr.ImageStaging;
import dev.hearth.imagemgr.ImagemgrException;
import dev.hearth.imagemgr.KernelValidator;
import dev.hearth.imagemgr.StagedImage;
import dev.hearth.imagemgr.VmlinuxExtractor;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.Registry;
import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code image.build}: claims the name, then runs imagemgr's build script as an asynchronous
 * operation. The script's {@code hearth-stage:} lines become the op's stages and its other output
 * the op's log; on success the rootfs and a kernel (the request's, {@code default_kernel}, or the
 * distro kernel extracted from vmlinuz, with its initrd) are adopted and the image is published
 * under the image-ops guard.
 *
 * <p>A failure or {@code op.cancel} first sends SIGTERM to the script's process group, so that its
 * trap kills chrooted processes and unmounts; past {@link Parts#termGrace} the tree is killed. Then
 * {@link BuildLeftovers#sweep} removes whatever the trap could not, and only then is the staging
 * folder deleted.
 */
public final class ImageBuildService {
  private static final Logger log = LoggerFactory.getLogger(ImageBuildService.class);

  /**
   * Stages of a build op, in order: ours around the script's ({@link BuildScript#STAGES}, without
   * its end marker {@code done}).
   */
  public static final List<String> STAGES = stages();

  static final String PREPARE = "prepare";
  static final String PUBLISH = "publish";
  static final String SCRIPT_END = "done";
  static final String PID_PREFIX = "hearth-pid: ";
  static final String SCRIPT_FILE = "build.sh";

  /**
   * What the service works with.
   *
   * @param cacheRoot where the build script caches base trees (Layout.imageBuildCacheDir)
   * @param authorizedKey the daemon's guest public key file (Layout.sshPublicKey)
   * @param defaultKernel the config's {@code default_kernel}
   * @param buildTimeout how long the script may run
   * @param termGrace how long a cancelled or failed script gets for its trap before SIGKILL
   */
  public record Parts(
      Runner runner,
      Posix posix,
      Registry<ImageBuildOp> ops,
      ImageStaging staging,
      ImageOpsGuard guard,
      BuildLeftovers leftovers,
      Path cacheRoot,
      Path authorizedKey,
      Optional<Path> defaultKernel,
      Duration buildTimeout,
      Duration termGrace) {}

  private final Parts parts;

  public ImageBuildService(Parts parts) {
    this.parts = parts;
  }

  public Registry<ImageBuildOp> ops() {
    return parts.ops();
  }

  /**
   * Validates the request, claims the name and starts the build.
   *
   * @throws HearthException invalid params, {@code conflict} when an image of that name exists or
   *     is being built, {@code precondition_failed} when the daemon's key or the configured default
   *     kernel is unusable
   */
  public OpSnapshot start(ImageBuildRequest request) throws InterruptedException {
    try {
      ImageNames.requireValid(request.name());
    } catch (CoreException e) {
      throw HearthException.invalid("name: " + e.getMessage());
    }
    Optional<Path> kernel = kernel(request);
    BuildSpec spec = spec(request, kernel.isEmpty());
    try {
      return parts.guard().run(() -> claimAndStart(request.name(), spec, kernel));
    } catch (RuntimeException | InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new ImageBuildException("cannot start the build of " + request.name() + ": " + e, e);
    }
  }

  private OpSnapshot claimAndStart(String name, BuildSpec spec, Optional<Path> kernel) {
    if (Files.exists(parts.staging().imageDir(name))) {
      throw HearthException.conflict(
          "an image named '" + name + "' already exists; delete it or choose another name");
    }
    for (OpSnapshot op : parts.ops().list()) {
      if (!op.finished() && op.target().equals(name)) {
        throw HearthException.conflict(
            "image '" + name + "' is already being built by operation " + op.id());
      }
    }
    return parts.ops().start(new ImageBuildOp(name), op -> build(op, spec, kernel));
  }

  private String build(ImageBuildOp op, BuildSpec spec, Optional<Path> kernel) throws Exception {
    op.stage(PREPARE);
    StagedImage staged = parts.staging().begin(op.target());
    boolean published = false;
    try {
      Path work = staged.workDir();
      BuildScript script = BuildScript.generate(spec, staged.folder(), work, parts.cacheRoot());
      Path file = work.resolve(SCRIPT_FILE);
      Files.writeString(file, script.text(), StandardCharsets.UTF_8);
      log.info("building image {} (base tree cache {})", op.target(), script.cacheDir());
      runScript(op, file, work);
      staged.adopt(ImageFile.ROOTFS);
      if (kernel.isPresent()) {
        staged.copyKernel(kernel.get());
      } else {
        new VmlinuxExtractor(parts.runner())
            .extract(work.resolve(BuildScript.VMLINUZ_FILE), staged.pathOf(ImageFile.KERNEL));
        staged.adopt(ImageFile.KERNEL);
        staged.adopt(ImageFile.INITRD);
      }
      op.stage(PUBLISH);
      parts.guard().run(staged::publish);
      published = true;
      return op.target();
    } finally {
      if (!published) {
        discard(op, staged);
      }
    }
  }

  /** Runs the script and waits; on interrupt (cancel) gives its trap the grace, then kills. */
  private void runScript(ImageBuildOp op, Path script, Path work) throws Exception {
    // The wrapper reports its pid (the process group, as the runner starts it in a session of
    // its own) before it becomes the build script.
    Command command =
        Command.builder("sh")
            .args("-c", "echo \"" + PID_PREFIX + "$$\"; exec sh \"$1\"", "sh", script.toString())
            .cwd(work)
            .timeout(parts.buildTimeout())
            .build();
    AtomicInteger pid = new AtomicInteger();
    LineListener listener =
        (source, line) -> {
          if (pid.get() == 0 && line.startsWith(PID_PREFIX)) {
            pid.set(Integer.parseInt(line.substring(PID_PREFIX.length()).strip()));
            return;
          }
          Optional<String> stage = BuildScript.stageOf(line);
          if (stage.isPresent()) {
            // The script's last stage only marks its end; publishing follows.
            if (!stage.get().equals(SCRIPT_END)) {
              op.stage(stage.get());
            }
          } else {
            op.log(line);
          }
        };
    FutureTask<CommandResult> task =
        new FutureTask<>(() -> parts.runner().stream(command, listener));
    Thread thread = new Thread(task, "image-build-" + op.target());
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
              + op.snapshot().stage()
              + lastWords(result));
    }
  }

  private void terminate(FutureTask<CommandResult> task, Thread thread, int pid)
      throws InterruptedException {
    if (pid > 0) {
      try {
        parts.posix().kill(-pid, Posix.Signal.SIGTERM);
      } catch (CoreException e) {
        log.warn("cannot signal the build script's group {}: {}", pid, e.getMessage());
      }
    }
    try {
      task.get(parts.termGrace().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      task.cancel(true); // the runner kills the whole tree
    } catch (InterruptedException e) {
      task.cancel(true);
    }
    // The listener runs on that thread: it must be done before the op's final write.
    thread.join();
  }

  private void discard(ImageBuildOp op, StagedImage staged) throws InterruptedException {
    boolean interrupted = Thread.interrupted();
    try {
      parts.leftovers().sweep(staged.folder());
      staged.abort();
    } catch (ImageBuildException e) {
      log.error("image build {} left {} behind: {}", op.id(), staged.folder(), e.getMessage());
      op.log("hearth: " + e.getMessage());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String lastWords(CommandResult result) {
    List<String> lines = result.stderr().strip().lines().toList();
    return lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1);
  }

  private Optional<Path> kernel(ImageBuildRequest request) {
    if (request.kernel().isPresent()) {
      Path kernel = request.kernel().get();
      try {
        KernelValidator.validate(kernel);
      } catch (ImagemgrException e) {
        throw HearthException.invalid("kernel: " + e.getMessage());
      }
      return Optional.of(kernel);
    }
    if (parts.defaultKernel().isPresent()) {
      Path kernel = parts.defaultKernel().get();
      try {
        KernelValidator.validate(kernel);
      } catch (ImagemgrException e) {
        throw HearthException.preconditionFailed(
            "default_kernel in the config is unusable: " + e.getMessage());
      }
      return Optional.of(kernel);
    }
    return Optional.empty();
  }

  private BuildSpec spec(ImageBuildRequest request, boolean distroKernel) {
    if (request.runFile().isPresent() && !Files.isRegularFile(request.runFile().get())) {
      throw HearthException.invalid(
          "run: " + request.runFile().get() + " is not a file on the daemon's host");
    }
    String key;
    try {
      key = Files.readString(parts.authorizedKey(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw HearthException.preconditionFailed(
          "cannot read the daemon's guest key " + parts.authorizedKey() + ": " + e.getMessage());
    }
    try {
      return new BuildSpec(
          request.from().orElse(BuildSpec.DEFAULT_FROM),
          request.packages(),
          request.runFile().map(p -> p.toAbsolutePath().normalize()),
          request.sizeBytes().orElse(BuildSpec.DEFAULT_SIZE_BYTES),
          distroKernel,
          Optional.of(key),
          BuildSpec.DEFAULT_MIRROR);
    } catch (ImagemgrException e) {
      throw HearthException.invalid(e.getMessage());
    }
  }

  private static List<String> stages() {
    List<String> all = new ArrayList<>();
    all.add(PREPARE);
    BuildScript.STAGES.stream().filter(s -> !s.equals(SCRIPT_END)).forEach(all::add);
    all.add(PUBLISH);
    return List.copyOf(all);
  }
}

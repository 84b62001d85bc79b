package dev.hearth.daemon.internal.imagebuild;

import dev.hearth.core.CoreException;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.HearthException;
import dev.hearth.imagemgr.BuildSpec;
import dev.hearth.imagemgr.ImageBuildException;
import dev.hearth.imagemgr.ImageBuilder;
import dev.hearth.imagemgr.ImageNames;
import dev.hearth.imagemgr.ImageSource;
import dev.hearth.imagemgr.ImageStaging;
import dev.hearth.imagemgr.ImagemgrException;
import dev.hearth.imagemgr.InvalidImageFileException;
import dev.hearth.imagemgr.KernelValidator;
import dev.hearth.imagemgr.StagedImage;
import dev.hearth.opstate.OpSnapshot;
import dev.hearth.opstate.Registry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code image.build}: validates the request, claims the name, then runs imagemgr's {@link
 * ImageBuilder} as an asynchronous operation (its stages and log lines become the op's) and
 * publishes the result under the image-ops guard. The build's host work (the script, SIGTERM to its
 * group on cancel, the leftover sweep) is the builder's.
 */
public final class ImageBuildService {
  /** Stages of a build op, in order: the builder's, then {@code publish}. */
  public static final List<String> STAGES = stages();

  static final String PUBLISH = "publish";

  /**
   * What the service works with.
   *
   * @param authorizedKey the daemon's guest public key file (Layout.sshPublicKey)
   * @param defaultKernel the config's {@code default_kernel}
   * @param maxSizeBytes the config's {@code max_image_build_size}
   * @param maxConcurrentBuilds the config's {@code max_concurrent_builds}
   */
  public record Parts(
      Registry<ImageBuildOp> ops,
      ImageStaging staging,
      ImageOpsGuard guard,
      ImageBuilder builder,
      Path authorizedKey,
      Optional<Path> defaultKernel,
      long maxSizeBytes,
      int maxConcurrentBuilds) {}

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
   *     is being built, {@code busy} when max_concurrent_builds builds run, {@code
   *     precondition_failed} when the daemon's key or the configured default kernel is unusable
   */
  public OpSnapshot start(ImageBuildRequest request) throws InterruptedException {
    boolean started = false;
    try {
      OpSnapshot op = startOpen(request);
      started = true;
      return op;
    } finally {
      if (!started) {
        request.kernel().ifPresent(ImageSource::close);
      }
    }
  }

  private OpSnapshot startOpen(ImageBuildRequest request) throws InterruptedException {
    try {
      ImageNames.requireValid(request.name());
    } catch (CoreException e) {
      throw HearthException.invalid("name: " + e.getMessage());
    }
    if (request.sizeBytes().isPresent() && request.sizeBytes().getAsLong() > parts.maxSizeBytes()) {
      throw HearthException.invalid(
          "size "
              + Sizes.format(request.sizeBytes().getAsLong())
              + " is above the largest image build, "
              + Sizes.format(parts.maxSizeBytes())
              + " (max_image_build_size)");
    }
    BuildSpec spec = spec(request, request.kernel().isEmpty() && parts.defaultKernel().isEmpty());
    // Last of the checks that need no lock: the kernel may be a private copy from here on.
    Optional<ImageSource> kernel = kernel(request);
    boolean started = false;
    try {
      OpSnapshot op = parts.guard().run(() -> claimAndStart(request.name(), spec, kernel));
      started = true;
      return op;
    } catch (RuntimeException | InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new ImageBuildException("cannot start the build of " + request.name() + ": " + e, e);
    } finally {
      // A started build closes its kernel when it ends; a refused one (a taken name, too many
      // builds) closes it here, or the copy would stay open in the daemon.
      if (!started) {
        kernel.ifPresent(ImageSource::close);
      }
    }
  }

  private OpSnapshot claimAndStart(String name, BuildSpec spec, Optional<ImageSource> kernel) {
    if (Files.exists(parts.staging().imageDir(name))) {
      throw HearthException.conflict(
          "an image named '" + name + "' already exists; delete it or choose another name");
    }
    int running = 0;
    for (OpSnapshot op : parts.ops().list()) {
      if (!op.finished() && op.target().equals(name)) {
        throw HearthException.conflict(
            "image '" + name + "' is already being built by operation " + op.id());
      }
      running += op.finished() ? 0 : 1;
    }
    // Under the guard (imageOpsLock), so two starts cannot both take the last place.
    if (running >= parts.maxConcurrentBuilds()) {
      throw HearthException.busy(
          running
              + " image builds are running, the most at once (max_concurrent_builds = "
              + parts.maxConcurrentBuilds()
              + "); wait for one to end (`hearth op list`) and try again");
    }
    return parts.ops().start(new ImageBuildOp(name), op -> build(op, spec, kernel));
  }

  private String build(ImageBuildOp op, BuildSpec spec, Optional<ImageSource> kernel)
      throws Exception {
    try {
      return buildOpen(op, spec, kernel);
    } finally {
      kernel.ifPresent(ImageSource::close);
    }
  }

  private String buildOpen(ImageBuildOp op, BuildSpec spec, Optional<ImageSource> kernel)
      throws Exception {
    ImageBuilder.Progress progress =
        new ImageBuilder.Progress() {
          @Override
          public void stage(String stage) {
            op.stage(stage);
          }

          @Override
          public void log(String line) {
            op.log(line);
          }
        };
    StagedImage staged = parts.builder().build(op.target(), spec, kernel, progress);
    boolean published = false;
    try {
      op.stage(PUBLISH);
      // The long read of the checksums needs no lock; only publish's check and rename do.
      staged.checksum();
      parts.guard().run(staged::publish);
      published = true;
      return op.target();
    } finally {
      if (!published) {
        parts.builder().discard(staged, progress);
      }
    }
  }

  private Optional<ImageSource> kernel(ImageBuildRequest request) {
    if (request.kernel().isPresent()) {
      ImageSource kernel = request.kernel().get();
      try {
        KernelValidator.validate(kernel);
      } catch (ImagemgrException e) {
        throw HearthException.invalid("kernel: " + e.getMessage());
      }
      return Optional.of(kernel instanceof ImageSource.Opened opened ? copied(opened) : kernel);
    }
    if (parts.defaultKernel().isPresent()) {
      Path kernel = parts.defaultKernel().get();
      try {
        KernelValidator.validate(kernel);
      } catch (ImagemgrException e) {
        throw HearthException.preconditionFailed(
            "default_kernel in the config is unusable: " + e.getMessage());
      }
      return Optional.of(ImageSource.of(kernel));
    }
    return Optional.empty();
  }

  /**
   * A kernel the client passed open, copied now into a private file of the daemon's in the staging
   * folder (see {@link ImageSource.Opened#detachedCopy}): the build reads it long after the request
   * that passed it has ended, and a passed descriptor lives only as long as that request's
   * connection. The copy takes the file as it was when received, holes kept.
   */
  private ImageSource copied(ImageSource.Opened kernel) {
    try {
      return kernel.detachedCopy(parts.staging().stagingDir());
    } catch (InvalidImageFileException e) {
      throw HearthException.invalid("kernel: " + e.getMessage());
    } catch (ImagemgrException e) {
      throw HearthException.hostError("kernel: " + e.getMessage());
    }
  }

  private BuildSpec spec(ImageBuildRequest request, boolean distroKernel) {
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
          request.runScript(),
          request.sizeBytes().orElse(BuildSpec.DEFAULT_SIZE_BYTES),
          distroKernel,
          Optional.of(key),
          BuildSpec.DEFAULT_MIRROR);
    } catch (ImagemgrException e) {
      throw HearthException.invalid(e.getMessage());
    }
  }

  private static List<String> stages() {
    List<String> all = new ArrayList<>(ImageBuilder.STAGES);
    all.add(PUBLISH);
    return List.copyOf(all);
  }
}

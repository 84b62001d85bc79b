package dev.hearth.cli;

import dev.hearth.core.Names;
import dev.hearth.core.Printable;
import dev.hearth.core.Sizes;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.Op;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hearth image build}: starts the build, then follows the operation through its stages
 * unless --detach. The build script's output stays in the operation's log ({@code hearth op show
 * ID}); when the build fails, its last lines are printed to stderr before the error.
 */
@Command(
    name = "build",
    description =
        "Build an image from Debian with debootstrap (runs as root in the daemon; takes minutes"
            + " the first time, the base tree is cached).")
final class ImageBuildCommand implements Callable<Integer> {
  /** The daemon's build stages; {@code kernel} and {@code run} only when they apply. */
  static final List<String> STAGES =
      List.of(
          "prepare",
          "debootstrap",
          "configure",
          "kernel",
          "run",
          "slim",
          "mkfs",
          "cleanup",
          "publish");

  /** How many of a failed build's log lines are shown. */
  static final int FAILURE_LOG_LINES = 20;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "The image's name: a-z, 0-9 and '-', up to 63.")
  String name;

  @Option(
      names = "--from",
      paramLabel = "DISTRO",
      description = "The base system, debian:<suite> (default debian:bookworm).")
  String from;

  @Option(
      names = "--packages",
      paramLabel = "A,B",
      split = ",",
      description = "Extra Debian packages to install.")
  List<String> packages = new ArrayList<>();

  @Option(
      names = "--run",
      paramLabel = "FILE",
      description =
          "A script (at most 256 KiB) run as root inside the image, in the build's sandbox (no"
              + " network unless build_run_network = \"host\"); read with your rights.")
  Path run;

  @Option(names = "--size", paramLabel = "SIZE", description = "Rootfs size, e.g. 4G (default 2G).")
  String size;

  @Option(
      names = "--kernel",
      paramLabel = "FILE",
      description =
          "A vmlinux to use, opened with your rights (default: default_kernel from the config,"
              + " else Debian's kernel).")
  Path kernel;

  @Option(
      names = {"-d", "--detach"},
      description = "Print the operation id and return at once; `hearth op watch` follows it.")
  boolean detach;

  @Override
  public Integer call() throws InterruptedException {
    // The global options live on the root command, whatever `hearth image` is.
    HearthCommand hearth = (HearthCommand) spec.root().userObject();
    ImageBuildSpec request = request();
    try (Hearth api = hearth.hearth()) {
      Op op = api.images().build(request).op();
      if (detach) {
        if (hearth.json()) {
          hearth.printJson(Json.node(HearthJson.of(op)));
        } else {
          hearth.out().println(op.id());
          hearth.out().flush();
        }
        return 0;
      }
      Optional<Op> finished = new OpFollower(hearth).follow(api, op, stages());
      if (finished.isEmpty()) {
        return Interrupts.EXIT_CODE;
      }
      if (finished.get().failure().isPresent()) {
        printLogTail(finished.get(), hearth.err());
      }
      OpFollower.requireSucceeded(finished.get());
      if (hearth.json()) {
        hearth.printJson(Json.node(HearthJson.of(finished.get())));
      } else {
        hearth.out().println(name + " is built; `hearth vm create NAME --image " + name + "`");
        hearth.out().flush();
      }
      return 0;
    }
  }

  /** The stages this build goes through, as far as the CLI can tell. */
  private List<String> stages() {
    List<String> expected = new ArrayList<>(STAGES);
    if (kernel != null) {
      expected.remove("kernel");
    }
    if (run == null) {
      expected.remove("run");
    }
    return expected;
  }

  static void printLogTail(Op op, PrintWriter err) {
    List<String> log = op.log();
    for (String line : log.subList(Math.max(0, log.size() - FAILURE_LOG_LINES), log.size())) {
      // Lines the build's tools and script printed, which hearth does not control: escaped.
      err.println("  | " + Printable.escape(line));
    }
    err.flush();
  }

  /** The request, after the checks that need no daemon (usage errors, exit 2). */
  private ImageBuildSpec request() {
    if (!Names.isValid(name)) {
      throw usage(
          "invalid image name '"
              + name
              + "': use 1 to 63 lower-case letters, digits and '-',"
              + " starting with a letter or digit");
    }
    OptionalLong sizeBytes = OptionalLong.empty();
    if (size != null) {
      try {
        sizeBytes = OptionalLong.of(Sizes.parse(size));
      } catch (IllegalArgumentException e) {
        throw usage("--size: " + e.getMessage());
      }
    }
    return new ImageBuildSpec(
        name,
        Optional.ofNullable(from),
        packages,
        Optional.ofNullable(run).map(p -> p.toAbsolutePath().normalize()),
        sizeBytes,
        Optional.ofNullable(kernel).map(p -> p.toAbsolutePath().normalize()));
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}

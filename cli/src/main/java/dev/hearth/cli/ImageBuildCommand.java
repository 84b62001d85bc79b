package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Names;
import dev.hearth.core.Sizes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hearth image build}: sends image.build, then follows the operation through its stages
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
      description = "A script run as root inside the image (a path on the daemon's host).")
  Path run;

  @Option(names = "--size", paramLabel = "SIZE", description = "Rootfs size, e.g. 4G (default 2G).")
  String size;

  @Option(
      names = "--kernel",
      paramLabel = "FILE",
      description =
          "A vmlinux to use (default: default_kernel from the config, else Debian's kernel).")
  Path kernel;

  @Option(
      names = {"-d", "--detach"},
      description = "Print the operation id and return at once; `hearth op watch` follows it.")
  boolean detach;

  @Override
  public Integer call() {
    // The global options live on the root command, whatever `hearth image` is.
    HearthCommand hearth = (HearthCommand) spec.root().userObject();
    ObjectNode params = params();
    try (DaemonConnection daemon = hearth.daemon()) {
      JsonNode op = daemon.call("image.build", params).path("op");
      if (detach) {
        if (hearth.json()) {
          hearth.printJson(op);
        } else {
          hearth.out().println(Json.text(op, "id"));
          hearth.out().flush();
        }
        return 0;
      }
      Optional<JsonNode> finished = new OpFollower(hearth).follow(daemon, op, stages());
      if (finished.isEmpty()) {
        return Interrupts.EXIT_CODE;
      }
      if (OpView.failure(finished.get()).isPresent()) {
        printLogTail(finished.get(), hearth.err());
      }
      OpFollower.requireSucceeded(finished.get());
      if (hearth.json()) {
        hearth.printJson(finished.get());
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

  static void printLogTail(JsonNode op, PrintWriter err) {
    JsonNode log = op.path("log");
    int from = Math.max(0, log.size() - FAILURE_LOG_LINES);
    for (int i = from; i < log.size(); i++) {
      err.println("  | " + log.get(i).asText());
    }
    err.flush();
  }

  /** The request, after the checks that need no daemon (usage errors, exit 2). */
  private ObjectNode params() {
    if (!Names.isValid(name)) {
      throw usage(
          "invalid image name '"
              + name
              + "': use 1 to 63 lower-case letters, digits and '-',"
              + " starting with a letter or digit");
    }
    ObjectNode params = Json.object().put("name", name);
    if (from != null) {
      params.put("from", from);
    }
    if (!packages.isEmpty()) {
      ArrayNode list = params.putArray("packages");
      packages.stream().map(String::strip).filter(p -> !p.isEmpty()).forEach(list::add);
    }
    if (run != null) {
      params.put("run", run.toAbsolutePath().normalize().toString());
    }
    if (size != null) {
      try {
        params.put("size", Sizes.parse(size));
      } catch (IllegalArgumentException e) {
        throw usage("--size: " + e.getMessage());
      }
    }
    if (kernel != null) {
      params.put("kernel", kernel.toAbsolutePath().normalize().toString());
    }
    return params;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}

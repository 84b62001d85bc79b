package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.FakeClock;
import dev.hearth.daemon.ImageBuildSpec;
import dev.hearth.daemon.Op;
import dev.hearth.daemon.OpError;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hearth image build} against a fake hearth. */
class ImageBuildCommandTest {
  private final FakeHearth hearth = new FakeHearth();
  private final FakeInterrupts interrupts = new FakeInterrupts();

  /** Stands in for `hearth image` until the image commands are merged. */
  @Command(name = "image")
  static final class ImageParent {}

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false)
            .withClock(new FakeClock(Samples.NOW))
            .withInterrupts(interrupts)
            .withHearths(hearth);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true));
    if (!cl.getSubcommands().containsKey("image")) {
      cl.addSubcommand(
          "image",
          new CommandLine(new ImageParent()).addSubcommand("build", new ImageBuildCommand()));
      // The root's settings reach only subcommands present when they are set.
      cl.setExecutionExceptionHandler(cl.getExecutionExceptionHandler())
          .setParameterExceptionHandler(cl.getParameterExceptionHandler())
          .setOut(cl.getOut())
          .setErr(cl.getErr());
    }
    int code = cl.execute(args);
    return new CliRun.Result(code, out.toString(), err.toString());
  }

  private static Op buildOp(String state, String stage) {
    return buildOp(state, stage, Optional.empty(), List.of());
  }

  private static Op buildOp(String state, String stage, Optional<OpError> error, List<String> log) {
    Op op = Samples.opOf(state, stage, -1);
    return new Op(
        op.id(),
        "image.build",
        "base",
        op.state(),
        op.stage(),
        op.percent(),
        log,
        error,
        op.startedAt(),
        op.finishedAt(),
        op.result());
  }

  private static Op failedBuild(String stage, String message, String... log) {
    return buildOp("failed", stage, Optional.of(new OpError(stage, message)), List.of(log));
  }

  @Test
  void sendsTheOptionsAndFollowsTheStages() {
    hearth.imageBuild = spec -> buildOp("running", "prepare");
    hearth.opWatch =
        (id, progress) -> {
          progress.accept(buildOp("running", "debootstrap"));
          progress.accept(buildOp("running", "mkfs"));
          return buildOp("succeeded", "publish");
        };
    CliRun.Result r =
        run(
            "image",
            "build",
            "base",
            "--packages",
            "vim, curl",
            "--size",
            "4G",
            "--from",
            "debian:bookworm");
    assertThat(r.exitCode()).as(r.err()).isZero();
    ImageBuildSpec sent = (ImageBuildSpec) hearth.callOf("image.build").arg(0);
    assertThat(sent.name()).isEqualTo("base");
    assertThat(sent.packages()).containsExactly("vim", "curl");
    assertThat(sent.sizeBytes()).hasValue(4L << 30);
    assertThat(sent.from()).contains("debian:bookworm");
    assertThat(sent.kernel()).isEmpty();
    assertThat(r.out())
        .contains("[stage] prepare", "[stage] debootstrap", "[stage] kernel", "[stage] mkfs")
        .doesNotContain("[stage] run")
        .contains("base is built");
  }

  @Test
  void pathsAreSentAbsolute() {
    hearth.imageBuild = spec -> buildOp("running", "prepare");
    hearth.opWatch = (id, progress) -> buildOp("succeeded", "publish");
    CliRun.Result r = run("image", "build", "base", "--run", "setup.sh", "--kernel", "/k/vmlinux");
    assertThat(r.exitCode()).as(r.err()).isZero();
    ImageBuildSpec sent = (ImageBuildSpec) hearth.callOf("image.build").arg(0);
    assertThat(sent.run().orElseThrow().toString()).startsWith("/").endsWith("/setup.sh");
    assertThat(sent.kernel()).contains(Path.of("/k/vmlinux"));
  }

  @Test
  void detachPrintsTheOpId() {
    hearth.imageBuild = spec -> buildOp("running", "prepare");
    CliRun.Result r = run("image", "build", "base", "--detach");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out().strip()).isEqualTo(Samples.OP_ID);
    assertThat(hearth.calls()).hasSize(1);
  }

  @Test
  void aFailedBuildShowsTheLastLogLinesAndTheReason() {
    hearth.imageBuild = spec -> buildOp("running", "prepare");
    hearth.opWatch =
        (id, progress) ->
            failedBuild(
                "debootstrap",
                "the build script failed with exit code 1",
                "E: no net",
                "E: \u001b]52;c;eA==\u0007\u001b[2J");
    CliRun.Result r = run("image", "build", "base");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .contains("  | E: no net\n  | E: \\x1b]52;c;eA==\\x07\\x1b[2J\n")
        .contains("exit code 1")
        .doesNotContain("\u001b", "\u0007");
  }

  @Test
  void badNamesAndSizesAreUsageErrors() {
    assertThat(run("image", "build", "Bad_Name").exitCode()).isEqualTo(2);
    assertThat(run("image", "build", "base", "--size", "huge").exitCode()).isEqualTo(2);
    assertThat(hearth.calls()).isEmpty();
  }
}

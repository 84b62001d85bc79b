package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.testing.FakeClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hearth image build} against a scripted daemon. */
class ImageBuildCommandTest {
  private final FakeDaemon daemon = new FakeDaemon();
  private final FakeInterrupts interrupts = new FakeInterrupts();

  /** Stands in for `hearth image` until the image commands are merged. */
  @Command(name = "image")
  static final class ImageParent {}

  private CliRun.Result run(String... args) {
    Environment env =
        new Environment(Map.of(), false)
            .withClock(new FakeClock(Samples.NOW))
            .withInterrupts(interrupts)
            .withConnector(daemon);
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

  private static String buildOp(String state, String stage) {
    ObjectNode op = (ObjectNode) Samples.node(Samples.op(state, stage, -1));
    op.put("kind", "image.build").put("target", "base");
    return op.toString();
  }

  private static String failedBuild(String stage, String message, String... log) {
    ObjectNode op = (ObjectNode) Samples.node(buildOp("failed", stage));
    op.putObject("error").put("stage", stage).put("message", message);
    ArrayNode lines = op.putArray("log");
    for (String line : log) {
      lines.add(line);
    }
    return op.toString();
  }

  @Test
  void sendsTheOptionsAndFollowsTheStages() {
    daemon
        .on("image.build", "{\"op\":" + buildOp("running", "prepare") + "}")
        .onStreaming(
            "op.watch",
            buildOp("succeeded", "publish"),
            "op.progress",
            buildOp("running", "debootstrap"),
            "op.progress",
            buildOp("running", "mkfs"));
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
    JsonNode params = daemon.requests().get(0).params();
    assertThat(params.get("name").asText()).isEqualTo("base");
    assertThat(params.get("packages").toString()).isEqualTo("[\"vim\",\"curl\"]");
    assertThat(params.get("size").asLong()).isEqualTo(4L << 30);
    assertThat(params.get("from").asText()).isEqualTo("debian:bookworm");
    assertThat(params.has("kernel")).isFalse();
    assertThat(r.out())
        .contains("[stage] prepare", "[stage] debootstrap", "[stage] kernel", "[stage] mkfs")
        .doesNotContain("[stage] run")
        .contains("base is built");
  }

  @Test
  void pathsAreSentAbsolute() {
    daemon
        .on("image.build", "{\"op\":" + buildOp("running", "prepare") + "}")
        .on("op.watch", buildOp("succeeded", "publish"));
    CliRun.Result r = run("image", "build", "base", "--run", "setup.sh", "--kernel", "/k/vmlinux");
    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode params = daemon.requests().get(0).params();
    assertThat(params.get("run").asText()).startsWith("/").endsWith("/setup.sh");
    assertThat(params.get("kernel").asText()).isEqualTo("/k/vmlinux");
  }

  @Test
  void detachPrintsTheOpId() {
    daemon.on("image.build", "{\"op\":" + buildOp("running", "prepare") + "}");
    CliRun.Result r = run("image", "build", "base", "--detach");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out().strip()).isEqualTo(Samples.node(buildOp("running", "x")).get("id").asText());
    assertThat(daemon.requests()).hasSize(1);
  }

  @Test
  void aFailedBuildShowsTheLastLogLinesAndTheReason() {
    daemon
        .on("image.build", "{\"op\":" + buildOp("running", "prepare") + "}")
        .on(
            "op.watch",
            failedBuild("debootstrap", "the build script failed with exit code 1", "E: no net"));
    CliRun.Result r = run("image", "build", "base");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("  | E: no net").contains("exit code 1");
  }

  @Test
  void badNamesAndSizesAreUsageErrors() {
    assertThat(run("image", "build", "Bad_Name").exitCode()).isEqualTo(2);
    assertThat(run("image", "build", "base", "--size", "huge").exitCode()).isEqualTo(2);
    assertThat(daemon.requests()).isEmpty();
  }
}

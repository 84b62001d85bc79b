package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.testing.FakeClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The stages display, fed with snapshots as op.watch sends them, on a fake clock. */
class ProgressDisplayTest {
  private final FakeClock clock = new FakeClock(Samples.NOW);
  private final StringWriter written = new StringWriter();

  private ProgressDisplay display(ProgressDisplay.Mode mode, boolean colour) {
    return new ProgressDisplay(
        new PrintWriter(written), new Style(colour), mode, clock, ProgressDisplay.VM_CREATE_STAGES);
  }

  private void after(long millis, ProgressDisplay display, String op) {
    clock.advance(Duration.ofMillis(millis));
    display.update(Samples.node(op));
  }

  @Test
  void liveRedrawsOneLinePerStageInPlace() {
    ProgressDisplay display = display(ProgressDisplay.Mode.LIVE, false);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));
    assertThat(Screen.render(written.toString()))
        .containsExactly(
            "  ✓ reserve",
            "  ⠋ rootfs    0.0s",
            "    identity",
            "    boot",
            "    wait-ssh",
            "    ready");

    after(1200, display, Samples.op("running", "rootfs", 40));
    clock.advance(Duration.ofMillis(100));
    display.tick();
    assertThat(Screen.render(written.toString()))
        .containsExactly(
            "  ✓ reserve",
            "  ⠙ rootfs    1.3s  40%",
            "    identity",
            "    boot",
            "    wait-ssh",
            "    ready");

    after(200, display, Samples.op("running", "identity", -1));
    after(300, display, Samples.op("running", "boot", -1));
    after(500, display, Samples.op("running", "wait-ssh", -1));
    after(800, display, Samples.op("succeeded", "ready", -1));
    assertThat(Screen.render(written.toString()))
        .containsExactly(
            "  ✓ reserve",
            "  ✓ rootfs    1.5s",
            "  ✓ identity  0.3s",
            "  ✓ boot      0.5s",
            "  ✓ wait-ssh  0.8s",
            "  ✓ ready     0.0s",
            "done in 3.2s");
  }

  @Test
  void liveMarksTheFailedStageWithItsReasonAndStopsDrawing() {
    ProgressDisplay display = display(ProgressDisplay.Mode.LIVE, false);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));
    after(400, display, Samples.op("running", "boot", -1));
    after(100, display, Samples.failedOp("boot", "firecracker exited with status 1"));
    String end = written.toString();
    display.tick();

    assertThat(written.toString()).isEqualTo(end);
    assertThat(Screen.render(end))
        .containsExactly(
            "  ✓ reserve",
            "  ✓ rootfs    0.4s",
            "  ✓ identity",
            "  ✗ boot      0.1s  firecracker exited with status 1",
            "    wait-ssh",
            "    ready",
            "failed in 3.2s");
  }

  @Test
  void aReasonThatQuotesAGuestIsEscaped() {
    ProgressDisplay display = display(ProgressDisplay.Mode.LIVE, false);
    display.update(Samples.node(Samples.op("running", "boot", -1)));
    after(100, display, Samples.failedOp("boot", "it said \u001b]52;c;eA==\u0007\u001b[2J\nok"));

    assertThat(written.toString()).doesNotContain("\u0007", "]52;c;eA==\u0007", "\u001b[2J");
    assertThat(Screen.render(written.toString()))
        .contains("  ✗ boot      0.1s  it said \\x1b]52;c;eA==\\x07\\x1b[2J\\x0aok");
  }

  @Test
  void liveColoursTheMarks() {
    ProgressDisplay display = display(ProgressDisplay.Mode.LIVE, true);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));

    assertThat(written.toString())
        .contains("\u001b[32m✓\u001b[0m reserve")
        .contains("\u001b[33m⠋\u001b[0m rootfs")
        .contains("\u001b[2mwait-ssh\u001b[0m");
  }

  @Test
  void aStageTheContractDoesNotListIsAddedAtTheEnd() {
    ProgressDisplay display = display(ProgressDisplay.Mode.LIVE, false);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));
    after(100, display, Samples.op("running", "resize", -1));

    assertThat(Screen.render(written.toString())).hasSize(7).endsWith("  ⠋ resize    0.0s");
  }

  @Test
  void plainPrintsEachStageOnceAndTheTotal() {
    ProgressDisplay display = display(ProgressDisplay.Mode.PLAIN, false);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));
    after(100, display, Samples.op("running", "rootfs", 50));
    after(100, display, Samples.op("running", "identity", -1));
    display.tick();
    after(100, display, Samples.op("running", "boot", -1));
    after(100, display, Samples.op("running", "wait-ssh", -1));
    after(100, display, Samples.op("succeeded", "ready", -1));

    assertThat(written.toString())
        .doesNotContain("\u001b")
        .isEqualTo(
            ("[stage] reserve\n[stage] rootfs\n[stage] identity\n[stage] boot\n[stage] wait-ssh\n"
                    + "done in 3.2s\n")
                .replace("\n", System.lineSeparator()));
  }

  @Test
  void anOperationNotStartedYetDrawsNoStage() {
    ProgressDisplay display = display(ProgressDisplay.Mode.PLAIN, false);
    display.update(Samples.node(Samples.op("running", "pending", -1)));
    assertThat(written.toString()).isEmpty();
    display.update(Samples.node(Samples.op("running", "identity", -1)));
    assertThat(written.toString().lines())
        .containsExactly("[stage] reserve", "[stage] rootfs", "[stage] identity");
  }

  @Test
  void plainSaysWhenItFailedOrWasCancelled() {
    ProgressDisplay failing = display(ProgressDisplay.Mode.PLAIN, false);
    failing.update(Samples.node(Samples.failedOp("rootfs", "disk full")));
    assertThat(written.toString().lines()).containsExactly("failed in 3.2s");
  }

  @Test
  void silentPrintsNothing() {
    ProgressDisplay display = display(ProgressDisplay.Mode.SILENT, false);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));
    display.tick();
    display.update(Samples.node(Samples.op("succeeded", "ready", -1)));
    assertThat(written.toString()).isEmpty();
  }

  @Test
  void afterCloseNothingIsDrawn() {
    ProgressDisplay display = display(ProgressDisplay.Mode.LIVE, false);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));
    String before = written.toString();
    display.close();
    display.tick();
    display.update(Samples.node(Samples.op("running", "boot", -1)));
    assertThat(written.toString()).isEqualTo(before);
  }

  @Test
  void withoutFinishTimesTheTotalIsMeasuredHere() {
    ProgressDisplay display = display(ProgressDisplay.Mode.PLAIN, false);
    display.update(Samples.node(Samples.op("running", "rootfs", -1)));
    var done = (ObjectNode) Samples.node(Samples.op("succeeded", "ready", -1));
    done.remove("finished_at");
    clock.advance(Duration.ofMillis(1500));
    display.update(done);
    assertThat(written.toString().lines()).last().isEqualTo("done in 1.5s");
  }
}

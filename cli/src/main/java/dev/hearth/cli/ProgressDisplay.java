package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Clock;
import dev.hearth.core.Printable;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The stages of an operation as it runs, fed with its snapshots. LIVE draws one line per stage
 * (spinner, check mark or cross, elapsed time, percent) and redraws them in place with ANSI cursor
 * movement; PLAIN prints a line when a stage starts and one at the end, for logs and pipes; SILENT
 * prints nothing. Elapsed times are measured here, from when a stage was first seen.
 *
 * <p>Updates come from the thread that reads the daemon, ticks from a timer that moves the spinner:
 * every method is synchronized.
 */
final class ProgressDisplay {
  enum Mode {
    LIVE,
    PLAIN,
    SILENT
  }

  /** The stages of vm.create (ARCHITECTURE.md, "VMs"). */
  static final List<String> VM_CREATE_STAGES =
      List.of("reserve", "rootfs", "identity", "boot", "wait-ssh", "ready");

  /** With --no-start the operation ends after identity. */
  static final List<String> VM_CREATE_NO_START_STAGES = List.of("reserve", "rootfs", "identity");

  static final String[] SPINNER = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  static final String CHECK = "✓";
  static final String CROSS = "✗";

  private static final String ERASE_LINE = "\u001b[2K";
  private static final long TICK_MILLIS = 100;

  /** The stage of an operation that has not begun its work yet: not a stage to draw. */
  private static final String NOT_STARTED = "pending";

  private enum Status {
    PENDING,
    ACTIVE,
    DONE,
    FAILED,
    CANCELLED
  }

  private static final class Stage {
    final String name;
    Status status = Status.PENDING;
    long startNanos = -1;
    long endNanos = -1;
    int percent = -1;
    String message = "";

    Stage(String name) {
      this.name = name;
    }
  }

  private final PrintWriter out;
  private final Style style;
  private final Mode mode;
  private final Clock clock;
  private final long createdNanos;
  private final List<Stage> stages = new ArrayList<>();
  private int drawnLines;
  private int frame;
  private int plainPrinted;
  private boolean finished;
  private boolean closed;

  /** {@code expectedStages} are drawn from the start; stages not in it are added as they come. */
  ProgressDisplay(
      PrintWriter out, Style style, Mode mode, Clock clock, List<String> expectedStages) {
    this.out = out;
    this.style = style;
    this.mode = mode;
    this.clock = clock;
    this.createdNanos = clock.nanoTime();
    expectedStages.forEach(name -> stages.add(new Stage(name)));
  }

  /** Shows a snapshot of the operation; a finished one ends the display with its total time. */
  synchronized void update(JsonNode op) {
    if (closed || finished || mode == Mode.SILENT) {
      return;
    }
    long now = clock.nanoTime();
    String state = Json.text(op, "state");
    JsonNode error = op.path("error");
    // Escaped, as the error's message: both come from the daemon, which may quote a guest, and a
    // newline would also throw off the redraw's count of lines.
    String stageName =
        Printable.escape(
            state.equals("failed") && error.isObject() && !Json.text(error, "stage").isEmpty()
                ? Json.text(error, "stage")
                : Json.text(op, "stage"));
    if (stageName.equals(NOT_STARTED) && !OpView.finished(op)) {
      return;
    }
    Stage current = stage(stageName);
    int index = stages.indexOf(current);
    for (int i = 0; i < index; i++) {
      end(stages.get(i), Status.DONE, now);
    }
    if (current.status == Status.PENDING) {
      current.status = Status.ACTIVE;
      current.startNanos = now;
    }
    JsonNode percent = op.path("percent");
    current.percent = percent.isNumber() ? percent.asInt() : -1;
    switch (state) {
      case "succeeded" -> end(current, Status.DONE, now);
      case "failed" -> {
        end(current, Status.FAILED, now);
        current.message = error.isObject() ? Printable.escape(Json.text(error, "message")) : "";
      }
      case "cancelled" -> {
        end(current, Status.CANCELLED, now);
        current.message = "cancelled";
      }
      default -> {
        // still running
      }
    }
    finished = OpView.finished(op);
    if (mode == Mode.LIVE) {
      redraw(now);
    } else if (!finished) {
      // Stages that went by between two snapshots are printed too, in order.
      for (; plainPrinted <= index; plainPrinted++) {
        out.println("[stage] " + stages.get(plainPrinted).name);
      }
    }
    if (finished) {
      Duration took = OpView.duration(op).orElse(Duration.ofNanos(now - createdNanos));
      String verb =
          switch (state) {
            case "succeeded" -> "done";
            case "cancelled" -> "cancelled";
            default -> "failed";
          };
      out.println(verb + " in " + Human.elapsed(took));
    }
    out.flush();
  }

  /**
   * Starts moving the spinner every {@value #TICK_MILLIS} ms on a thread of its own (LIVE only);
   * running the returned stopper ends it.
   */
  Runnable startTicking() {
    if (mode != Mode.LIVE) {
      return () -> {};
    }
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hearth-progress");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    return ticker::shutdownNow;
  }

  /** Moves the spinner and the elapsed time of the running stage (LIVE only). */
  synchronized void tick() {
    if (closed || finished || mode != Mode.LIVE) {
      return;
    }
    frame = (frame + 1) % SPINNER.length;
    redraw(clock.nanoTime());
    out.flush();
  }

  /** Draws nothing more: the operation ended or the user stopped watching. */
  synchronized void close() {
    closed = true;
  }

  private Stage stage(String name) {
    for (Stage s : stages) {
      if (s.name.equals(name)) {
        return s;
      }
    }
    Stage added = new Stage(name);
    stages.add(added);
    return added;
  }

  private static void end(Stage stage, Status status, long now) {
    if (stage.status == Status.PENDING || stage.status == Status.ACTIVE) {
      stage.status = status;
      if (stage.startNanos >= 0) {
        stage.endNanos = now;
      }
    }
  }

  private void redraw(long now) {
    StringBuilder sb = new StringBuilder();
    if (drawnLines > 0) {
      // Back to the first column of the first line drawn last time.
      sb.append("\u001b[").append(drawnLines).append('F');
    }
    int width = stages.stream().mapToInt(s -> s.name.length()).max().orElse(0);
    for (Stage stage : stages) {
      sb.append(ERASE_LINE).append(line(stage, width, now)).append('\n');
    }
    out.print(sb);
    drawnLines = stages.size();
  }

  private String line(Stage stage, int width, long now) {
    if (stage.status == Status.PENDING) {
      return "    " + style.paint(stage.name, Style.Colour.DIM);
    }
    String name = stage.name + " ".repeat(width - stage.name.length());
    String mark =
        switch (stage.status) {
          case ACTIVE -> style.paint(SPINNER[frame], Style.Colour.YELLOW);
          case DONE -> style.paint(CHECK, Style.Colour.GREEN);
          case FAILED -> style.paint(CROSS, Style.Colour.RED);
          default -> style.paint(CROSS, Style.Colour.YELLOW);
        };
    StringBuilder sb = new StringBuilder("  ").append(mark).append(' ').append(name);
    if (stage.startNanos >= 0) {
      long end = stage.endNanos >= 0 ? stage.endNanos : now;
      sb.append("  ").append(Human.elapsed(Duration.ofNanos(end - stage.startNanos)));
    }
    if (stage.status == Status.ACTIVE && stage.percent >= 0) {
      sb.append("  ").append(stage.percent).append('%');
    }
    if (!stage.message.isEmpty()) {
      Style.Colour colour = stage.status == Status.FAILED ? Style.Colour.RED : Style.Colour.YELLOW;
      sb.append("  ").append(style.paint(stage.message, colour));
    }
    return sb.toString().stripTrailing();
  }
}

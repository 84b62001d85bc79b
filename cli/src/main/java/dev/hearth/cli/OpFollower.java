package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.daemon.Hearth;
import dev.hearth.daemon.HearthJson;
import dev.hearth.daemon.Op;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Follows an operation until it ends, through a {@link ProgressDisplay}. Ctrl-C stops watching, not
 * the operation: it goes on in the daemon, and the user is told how to watch or cancel it.
 */
final class OpFollower {
  private final HearthCommand hearth;

  OpFollower(HearthCommand hearth) {
    this.hearth = hearth;
  }

  /**
   * Watches the operation that {@code start} is a snapshot of.
   *
   * @param stages the stages to draw from the start
   * @return the final snapshot; empty when the user interrupted the watch
   */
  Optional<Op> follow(Hearth api, Op start, List<String> stages) throws InterruptedException {
    String id = start.id();
    ProgressDisplay display =
        new ProgressDisplay(
            hearth.out(), hearth.style(), hearth.progressMode(), hearth.env().clock(), stages);
    AtomicBoolean interrupted = new AtomicBoolean();
    Runnable stopTicking = display.startTicking();
    Runnable onInterrupt =
        () -> {
          interrupted.set(true);
          display.close();
          PrintWriter err = hearth.err();
          err.println(stillRunning(id));
          err.flush();
        };
    Interrupts interrupts = hearth.env().interrupts();
    try (Interrupts.Registration registration = interrupts.onInterrupt(onInterrupt)) {
      display.update(node(start));
      Op last = api.ops().watch(id, progress -> display.update(node(progress)));
      if (interrupted.get()) {
        return Optional.empty();
      }
      display.update(node(last));
      return Optional.of(last);
    } catch (RuntimeException | InterruptedException e) {
      if (interrupted.get()) {
        // The process is on its way out; the line that says so is already printed.
        return Optional.empty();
      }
      throw e;
    } finally {
      display.close();
      stopTicking.run();
    }
  }

  /** What Ctrl-C prints: the operation goes on, and how to get back to it. */
  static String stillRunning(String id) {
    return "hearth: stopped watching; operation "
        + id
        + " goes on in the daemon: `hearth op watch "
        + id
        + "` follows it, `hearth op cancel "
        + id
        + "` cancels it";
  }

  private static JsonNode node(Op op) {
    return Json.node(HearthJson.of(op));
  }

  /** Fails the command with the operation's stage and reason unless it succeeded. */
  static Op requireSucceeded(Op op) {
    Optional<String> failure = OpView.failure(node(op));
    if (failure.isPresent()) {
      throw new OperationFailedException(failure.get());
    }
    return op;
  }
}

package dev.hearth.cli;

import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.SessionAttachment;
import dev.hearth.daemon.SessionOutput;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The guest's side of a command or session attachment a test runs through {@link FakeHearth}: what
 * the CLI sent it, and output to send the CLI. The scripted behaviour runs when the CLI awaits the
 * exit, as the remote hearth reads a stream's output then.
 */
final class FakeProcess implements GuestProcess, SessionAttachment {
  private final OutputSink output;
  private final ToIntFunction<FakeProcess> behaviour;
  private final Function<FakeProcess, Optional<SessionOutput>> attachment;
  private final ByteArrayOutputStream input = new ByteArrayOutputStream();
  private final List<String> resizes = new ArrayList<>();
  private boolean eof;
  private boolean closed;

  FakeProcess(OutputSink output, ToIntFunction<FakeProcess> behaviour) {
    this.output = output;
    this.behaviour = behaviour;
    this.attachment = p -> Optional.empty();
  }

  /** A session attachment; the behaviour runs when the CLI awaits its end. */
  static FakeProcess attachment(
      OutputSink output, Function<FakeProcess, Optional<SessionOutput>> behaviour) {
    return new FakeProcess(output, behaviour);
  }

  private FakeProcess(
      OutputSink output, Function<FakeProcess, Optional<SessionOutput>> attachment) {
    this.output = output;
    this.behaviour = p -> 0;
    this.attachment = attachment;
  }

  /** Sends output to the command. */
  void out(int fd, String text) {
    output.output(fd, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Waits for the command's EOF and returns all the input it sent. */
  synchronized byte[] awaitInputEnd() {
    awaitUntil(() -> eof, "the end of the input");
    return input.toByteArray();
  }

  /** Waits until {@code count} resizes arrived; returns them as "COLSxROWS". */
  synchronized List<String> awaitResizes(int count) {
    awaitUntil(() -> resizes.size() >= count, count + " resizes");
    return List.copyOf(resizes);
  }

  synchronized boolean closed() {
    return closed;
  }

  private void awaitUntil(BooleanSupplier done, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!done.getAsBoolean()) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new AssertionError("no " + what + " from the command");
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  @Override
  public synchronized void write(byte[] data, int offset, int length) {
    if (eof) {
      throw new AssertionError("input after EOF");
    }
    input.write(data, offset, length);
    notifyAll();
  }

  @Override
  public void write(byte[] data) {
    write(data, 0, data.length);
  }

  @Override
  public synchronized void closeInput() {
    eof = true;
    notifyAll();
  }

  @Override
  public synchronized void resize(int cols, int rows) {
    resizes.add(cols + "x" + rows);
    notifyAll();
  }

  @Override
  public int awaitExit() {
    return behaviour.applyAsInt(this);
  }

  @Override
  public Optional<SessionOutput> awaitEnd() {
    return attachment.apply(this);
  }

  @Override
  public synchronized void close() {
    closed = true;
  }
}

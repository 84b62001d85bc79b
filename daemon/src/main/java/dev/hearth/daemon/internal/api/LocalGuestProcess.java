package dev.hearth.daemon.internal.api;

import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.HearthException;
import dev.hearth.session.GuestExec;
import dev.hearth.session.GuestSshException;
import dev.hearth.session.GuestSshTimeoutException;

/**
 * A {@link GuestProcess} in-process: a guest execution with its input through an {@link InputPipe}.
 */
public final class LocalGuestProcess implements GuestProcess {
  /** Starts the execution on the given stdin. */
  @FunctionalInterface
  public interface Starter {
    GuestExec.Execution start(java.io.InputStream stdin) throws InterruptedException;
  }

  private final InputPipe input;
  private final GuestExec.Execution execution;

  private LocalGuestProcess(InputPipe input, GuestExec.Execution execution) {
    this.input = input;
    this.execution = execution;
  }

  /** Starts the command with a fresh input pipe. */
  public static GuestProcess start(Starter starter) throws InterruptedException {
    InputPipe input = new InputPipe();
    return new LocalGuestProcess(input, starter.start(input));
  }

  @Override
  public void write(byte[] data, int offset, int length) {
    input.write(data, offset, length);
  }

  @Override
  public void closeInput() {
    input.end();
  }

  @Override
  public void resize(int cols, int rows) {
    execution.resize(cols, rows);
  }

  @Override
  public int awaitExit() throws InterruptedException {
    try {
      return execution.await();
    } catch (GuestSshException e) {
      throw failure(e);
    } finally {
      input.close();
    }
  }

  @Override
  public void close() {
    input.close();
    execution.close();
  }

  /** The API's error for a failure of the guest's SSH: a timeout, else a host error. */
  public static HearthException failure(GuestSshException e) {
    return e instanceof GuestSshTimeoutException
        ? HearthException.timeout(e.getMessage())
        : HearthException.hostError(e.getMessage());
  }
}

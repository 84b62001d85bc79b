package dev.hearth.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/** Runs session scripts in the guest as {@code sh -c SCRIPT} over SSH ({@link GuestExec}). */
final class ExecGuestScripts implements GuestScripts {
  private final GuestExec exec;
  private final SessionLayout layout;

  /**
   * @param layout where every guest keeps its sessions ({@link SessionLayout#GUEST})
   */
  ExecGuestScripts(GuestExec exec, SessionLayout layout) {
    this.exec = exec;
    this.layout = layout;
  }

  @Override
  public SessionLayout layout(SessionGuest guest) {
    return layout;
  }

  /**
   * GuestExec marks each command's processes with a variable so that a cancelled one can be ended;
   * a session started by a script must not carry the script's mark.
   */
  @Override
  public List<String> privateVariables() {
    return List.of(ExecRequest.EXEC_ID_VARIABLE);
  }

  @Override
  public int run(
      SessionGuest guest,
      String script,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr,
      Cancellation cancel)
      throws IOException, InterruptedException {
    GuestExec.Execution execution;
    try {
      execution =
          exec.start(
              guest.target(), ExecRequest.of(List.of("sh", "-c", script)), stdin, stdout, stderr);
    } catch (GuestCallCancelledException e) {
      throw e;
    } catch (GuestSshException e) {
      throw new IOException(e.getMessage(), e);
    }
    try (execution) {
      // Closing an unfinished execution reaches into the guest; cancel actions must not block.
      cancel.onCancel(() -> CompletableFuture.runAsync(execution::close));
      return execution.await();
    } catch (GuestCallCancelledException e) {
      throw e;
    } catch (GuestSshException e) {
      if (cancel.cancelled()) {
        throw new CancellationException("the client went away");
      }
      throw new IOException(e.getMessage(), e);
    }
  }
}

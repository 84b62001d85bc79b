package dev.hearth.daemon.internal.session;

import dev.hearth.daemon.internal.guest.GuestRoute;
import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.session.ExecRequest;
import dev.hearth.session.GuestExec;
import dev.hearth.session.GuestSshException;
import dev.hearth.session.SessionLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/** Runs session scripts in the guest as {@code sh -c SCRIPT} over SSH ({@link GuestExec}). */
public final class ExecGuestScripts implements GuestScripts {
  private final GuestExec exec;
  private final GuestRoute route;
  private final SessionLayout layout;

  /**
   * @param layout where every guest keeps its sessions ({@link SessionLayout#GUEST})
   */
  public ExecGuestScripts(GuestExec exec, GuestRoute route, SessionLayout layout) {
    this.exec = exec;
    this.route = route;
    this.layout = layout;
  }

  @Override
  public SessionLayout layout(Vm vm) {
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
      Vm vm,
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
              route.target(vm), ExecRequest.of(List.of("sh", "-c", script)), stdin, stdout, stderr);
    } catch (GuestSshException e) {
      throw new IOException(e.getMessage(), e);
    }
    try (execution) {
      // Closing an unfinished execution reaches into the guest; cancel actions must not block.
      cancel.onCancel(() -> CompletableFuture.runAsync(execution::close));
      return execution.await();
    } catch (GuestSshException e) {
      if (cancel.cancelled()) {
        throw new CancellationException("the client went away");
      }
      throw new IOException(e.getMessage(), e);
    }
  }
}

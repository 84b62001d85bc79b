package dev.hearth.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Runs the session scripts in a guest: {@code sh -c SCRIPT} as root, stdin fed from a stream,
 * stdout and stderr copied as they come. The real one ({@link #overSsh}) runs over SSH; tests run
 * {@code /bin/sh} locally against a temp folder.
 */
public interface GuestScripts {
  /**
   * The scripts over SSH with {@link GuestExec}, at the guest's {@link SessionGuest#target()}.
   *
   * @param layout where every guest keeps its sessions ({@link SessionLayout#GUEST})
   */
  static GuestScripts overSsh(GuestExec exec, SessionLayout layout) {
    return new ExecGuestScripts(exec, layout);
  }

  /** Where the guest keeps session state. */
  default SessionLayout layout(SessionGuest guest) {
    return SessionLayout.GUEST;
  }

  /** Variables of the scripts' environment that sessions must not inherit. */
  default List<String> privateVariables() {
    return List.of();
  }

  /**
   * Runs the script to its end and returns its exit status. Once {@code cancel} fires the guest
   * command is ended and this throws {@link java.util.concurrent.CancellationException}.
   *
   * @throws IOException when the guest cannot be reached or the channel breaks, or when writing to
   *     {@code stdout} or {@code stderr} fails (the guest command is ended then)
   * @throws GuestCallCancelledException when the VM's guest calls were ended (it was stopped or
   *     deleted, or the daemon is shutting down)
   */
  int run(
      SessionGuest guest,
      String script,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr,
      Cancellation cancel)
      throws IOException, InterruptedException;
}

package dev.hearth.daemon.internal.session;

import dev.hearth.daemon.internal.vm.Vm;
import dev.hearth.session.SessionLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Runs the session module's scripts in a VM's guest: {@code sh -c SCRIPT} as root, stdin fed from a
 * stream, stdout and stderr copied as they come. The real one runs over SSH; daemon tests run
 * {@code /bin/sh} locally against a temp folder.
 */
public interface GuestScripts {
  /** Where the guest keeps session state. */
  default SessionLayout layout(Vm vm) {
    return SessionLayout.GUEST;
  }

  /** Variables of the scripts' environment that sessions must not inherit. */
  default java.util.List<String> privateVariables() {
    return java.util.List.of();
  }

  /**
   * Runs the script to its end and returns its exit status. Once {@code cancel} fires the guest
   * command is ended and this throws {@link java.util.concurrent.CancellationException}.
   *
   * @throws IOException when the guest cannot be reached or the channel breaks, or when writing to
   *     {@code stdout} or {@code stderr} fails (the guest command is ended then)
   */
  int run(
      Vm vm,
      String script,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr,
      Cancellation cancel)
      throws IOException, InterruptedException;
}

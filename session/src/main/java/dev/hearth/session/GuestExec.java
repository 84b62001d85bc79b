package dev.hearth.session;

import dev.hearth.core.ShellQuote;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.channel.PtyCapableChannelSession;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.future.CancelOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs commands (or the login shell) in guests over SSH as root, one SSH connection per command,
 * streaming stdin, stdout and stderr as they come.
 *
 * <p>Flow control: the channel's output is read through MINA's inverted streams, whose window is
 * only given back to the guest once the bytes were read here and written to the caller's stream; so
 * a caller that writes slowly (a slow RPC client) slows the guest, and at most one SSH window (2
 * MiB by default) per stream is held in memory. Input is written as the guest's window allows. A
 * write to the caller's stream that fails (a client gone, a {@link BoundedOutput} full) closes the
 * channel: the guest command is stopped, not drained.
 */
public final class GuestExec {
  private static final Logger log = LoggerFactory.getLogger(GuestExec.class);
  private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(30);
  private static final int BUFFER_BYTES = 32 * 1024;
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(30);

  /** Linux signal numbers of the names sshd reports in exit-signal. */
  private static final Map<String, Integer> SIGNALS =
      Map.ofEntries(
          Map.entry("HUP", 1),
          Map.entry("INT", 2),
          Map.entry("QUIT", 3),
          Map.entry("ILL", 4),
          Map.entry("TRAP", 5),
          Map.entry("ABRT", 6),
          Map.entry("BUS", 7),
          Map.entry("FPE", 8),
          Map.entry("KILL", 9),
          Map.entry("USR1", 10),
          Map.entry("SEGV", 11),
          Map.entry("USR2", 12),
          Map.entry("PIPE", 13),
          Map.entry("ALRM", 14),
          Map.entry("TERM", 15));

  private final MinaGuestDialer dialer;
  private final Duration connectTimeout;

  /**
   * @param connectTimeout how long connecting and authenticating may take
   */
  public GuestExec(MinaGuestDialer dialer, Duration connectTimeout) {
    this.dialer = dialer;
    this.connectTimeout = connectTimeout;
  }

  /**
   * Runs the command to its end: copies {@code stdin} to it until its end (then sends EOF), and its
   * output to {@code stdout} and {@code stderr} as it comes (with a terminal, both come as stdout).
   *
   * @return the exit code; 128 + n when a signal n ended it
   * @throws GuestSshException when the guest cannot be reached or the key is refused
   * @throws GuestExecException when the command cannot be started, its output cannot be delivered,
   *     or the connection ends without an exit status
   */
  public int run(
      GuestTarget target,
      ExecRequest request,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr)
      throws InterruptedException {
    try (Execution execution = start(target, request, stdin, stdout, stderr)) {
      return execution.await();
    }
  }

  /**
   * As {@link #run(GuestTarget, ExecRequest, InputStream, OutputStream, OutputStream)}, and once
   * {@code cancel} fires (on the cancelling thread) the command is ended as {@link
   * Execution#close()} ends it.
   */
  public int run(
      GuestTarget target,
      ExecRequest request,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr,
      Cancellation cancel)
      throws InterruptedException {
    try (Execution execution = start(target, request, stdin, stdout, stderr)) {
      cancel.onCancel(execution::close);
      return execution.await();
    }
  }

  /**
   * Starts the command and its stream pumps; see {@link #run}. The caller awaits and closes the
   * execution (closing an unfinished one cancels it).
   */
  public Execution start(
      GuestTarget target,
      ExecRequest request,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr)
      throws InterruptedException {
    String what = request.isLoginShell() ? "a shell" : "a command";
    GuestCalls.Call call = dialer.calls().begin(target.vm(), what);
    ClientSession session;
    try {
      call.throwIfCancelled();
      // A cancel closes the session, or the connect while it is under way.
      session = dialer.dial(target.host(), target.port(), connectTimeout, call.cancellation());
    } catch (RuntimeException e) {
      call.close();
      call.throwIfCancelled();
      throw e;
    } catch (InterruptedException e) {
      call.close();
      throw e;
    }
    String execId = UUID.randomUUID().toString();
    try {
      PtyCapableChannelSession channel =
          request.isLoginShell()
              ? session.createShellChannel()
              : session.createExecChannel(request.commandLine(execId));
      channel.setUsePty(request.pty().isPresent());
      request
          .pty()
          .ifPresent(
              pty -> {
                channel.setPtyType(pty.term());
                channel.setPtyColumns(pty.cols());
                channel.setPtyLines(pty.rows());
              });
      channel
          .open()
          .verify(OPEN_TIMEOUT, CancelOption.CANCEL_ON_TIMEOUT, CancelOption.CANCEL_ON_INTERRUPT);
      Execution execution =
          new Execution(
              target, session, channel, request.isLoginShell() ? null : execId, call, dialer::lost);
      execution.startPumps(stdin, stdout, stderr);
      return execution;
    } catch (IOException | RuntimeException e) {
      session.close(true);
      call.close();
      call.throwIfCancelled();
      if (e instanceof IOException io) {
        MinaGuestDialer.throwIfInterrupt(io);
      }
      throw new GuestExecException(
          "cannot start "
              + (request.isLoginShell() ? "a shell" : "the command")
              + " in "
              + target.describe()
              + ": "
              + MinaGuestDialer.reason(e),
          e);
    }
  }

  /** A command running in a guest. */
  public static final class Execution implements AutoCloseable {
    private final GuestTarget target;
    private final ClientSession session;
    private final PtyCapableChannelSession channel;
    private final String execId;
    private final GuestCalls.Call call;
    private final Function<ClientSession, Optional<String>> lost;
    private Thread in;
    private Thread out;
    private Thread err;
    private volatile Exception outputFailure;
    private volatile boolean finished;

    private Execution(
        GuestTarget target,
        ClientSession session,
        PtyCapableChannelSession channel,
        String execId,
        GuestCalls.Call call,
        Function<ClientSession, Optional<String>> lost) {
      this.target = target;
      this.session = session;
      this.channel = channel;
      this.execId = execId;
      this.call = call;
      this.lost = lost;
    }

    private void startPumps(InputStream stdin, OutputStream stdout, OutputStream stderr) {
      String name = "hearth-exec-" + target.vm();
      out = pump(name + "-out", channel.getInvertedOut(), stdout);
      err = pump(name + "-err", channel.getInvertedErr(), stderr);
      in = new Thread(() -> copyInput(stdin), name + "-in");
      in.setDaemon(true);
      in.start();
    }

    /** Tells the guest's terminal its new size; ignored without a terminal or once ended. */
    public void resize(int cols, int rows) {
      if (!channel.isUsePty() || finished) {
        return;
      }
      try {
        channel.sendWindowChange(cols, rows);
      } catch (IOException e) {
        log.debug("window change for {} failed: {}", target.describe(), e.toString());
      }
    }

    /**
     * Waits for the command's end: its output drained, then its exit status.
     *
     * @return the exit code; 128 + n after signal n
     * @throws GuestExecException when the output could not be delivered (the command is then
     *     cancelled) or the connection ended without an exit status
     * @throws GuestCallCancelledException when the VM's guest calls were cancelled (its VM stopped
     *     or deleted, the daemon shutting down)
     * @throws InterruptedException when interrupted; the command is cancelled
     */
    public int await() throws InterruptedException {
      try {
        out.join();
        err.join();
      } catch (InterruptedException e) {
        close();
        throw e;
      }
      call.throwIfCancelled();
      Exception failure = outputFailure;
      if (failure instanceof OutputLimitException limit) {
        close();
        throw new GuestExecException(limit.getMessage() + " (" + target.describe() + ")", limit);
      }
      if (failure != null) {
        close();
        throw new GuestExecException(
            "the output of the command in "
                + target.describe()
                + " could not be delivered: "
                + MinaGuestDialer.reason(failure),
            failure);
      }
      channel.waitFor(
          EnumSet.of(
              ClientChannelEvent.CLOSED,
              ClientChannelEvent.EXIT_STATUS,
              ClientChannelEvent.EXIT_SIGNAL),
          0L);
      if (Thread.interrupted()) {
        close();
        throw new InterruptedException("interrupted while waiting for " + target.describe());
      }
      call.throwIfCancelled();
      Integer status = channel.getExitStatus();
      String signal = channel.getExitSignal();
      finished = true;
      if (status != null) {
        return status;
      }
      if (signal != null) {
        return 128 + SIGNALS.getOrDefault(signal, 0);
      }
      throw new GuestExecException(
          "the connection to "
              + target.describe()
              + " ended before the command reported an exit status"
              + lost.apply(session).map(why -> ": " + why).orElse(""));
    }

    /**
     * Ends the execution. An unfinished command's processes (those marked with its exec id: the
     * command and its children) are sent SIGTERM from a second channel, then its channel is closed,
     * so nothing of it stays in the guest or here. (sshd refuses SSH signal requests in root
     * sessions; a login shell ends by itself when its terminal closes.)
     */
    @Override
    public void close() {
      if (!finished && execId != null && channel.isOpen() && call.cancelled().isEmpty()) {
        terminateMarkedProcesses();
      }
      finished = true;
      channel.close(true);
      session.close(true);
      call.close();
    }

    private void terminateMarkedProcesses() {
      String marker = ExecRequest.EXEC_ID_VARIABLE + "=" + execId;
      // Its output goes nowhere: a write to a channel closed meanwhile must not kill it midway.
      String script =
          "exec >/dev/null 2>&1; for p in $(grep -l -z -x -F -e "
              + ShellQuote.quote(marker)
              + " /proc/[0-9]*/environ 2>/dev/null); do p=${p#/proc/}; kill -TERM ${p%/environ};"
              + " done";
      try (ChannelExec kill = session.createExecChannel(script)) {
        kill.open().verify(KILL_TIMEOUT);
        kill.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), KILL_TIMEOUT);
      } catch (IOException | RuntimeException e) {
        log.warn("could not end the cancelled command in {}: {}", target.describe(), e.toString());
      }
    }

    private Thread pump(String name, InputStream from, OutputStream to) {
      Thread thread =
          new Thread(
              () -> {
                byte[] buffer = new byte[BUFFER_BYTES];
                int n;
                while (true) {
                  try {
                    n = from.read(buffer);
                  } catch (IOException e) {
                    return; // the channel was closed
                  }
                  if (n < 0) {
                    return;
                  }
                  try {
                    to.write(buffer, 0, n);
                    to.flush();
                  } catch (IOException | RuntimeException e) {
                    outputFailure = e;
                    channel.close(true);
                    return;
                  }
                }
              },
              name);
      thread.setDaemon(true);
      thread.start();
      return thread;
    }

    private void copyInput(InputStream stdin) {
      OutputStream to = channel.getInvertedIn();
      byte[] buffer = new byte[BUFFER_BYTES];
      try {
        int n;
        while ((n = stdin.read(buffer)) >= 0) {
          to.write(buffer, 0, n);
          to.flush();
        }
        to.close(); // EOF for the command
      } catch (IOException e) {
        log.debug("input to {} ended: {}", target.describe(), e.toString());
      }
    }
  }
}

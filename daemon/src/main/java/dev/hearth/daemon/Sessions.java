package dev.hearth.daemon;

import java.util.Optional;

/**
 * Guest sessions: commands that run detached in a VM and outlive their client, the daemon and its
 * connections. {@code vm} arguments are a VM name or unique id prefix, {@code session} ones a
 * session id or name (a running one first). The VM must be running.
 */
public interface Sessions {
  /**
   * Starts the command in its own session in the guest and returns once it runs.
   *
   * @throws HearthException {@code conflict} for a name a running session has, {@code invalid} for
   *     a bad name, folder, variable or a command the guest cannot find
   */
  SessionStarted start(SessionStart start) throws InterruptedException;

  /** The sessions of one VM, or of every running VM when {@code vm} is empty. */
  SessionList list(Optional<String> vm) throws InterruptedException;

  /**
   * Writes to the session's stdin, then closes it when {@code eof}.
   *
   * @return how many bytes were written
   * @throws HearthException {@code invalid} when there is neither data nor eof, {@code
   *     precondition_failed} when the session no longer runs or its input was closed
   */
  int write(String vm, String session, byte[] data, boolean eof) throws InterruptedException;

  /**
   * Sends a signal to the session's process group.
   *
   * @param signal a name such as {@code INT}; {@code TERM} when empty
   * @return the signal's name
   */
  String kill(String vm, String session, Optional<String> signal) throws InterruptedException;

  /** Waits until the session ends. */
  SessionEnd await(String vm, String session) throws InterruptedException;

  /**
   * Hands the session's output from byte {@code from} to {@code out} (fd 1); with {@code follow},
   * then what it writes until it ends.
   */
  SessionOutput logs(String vm, String session, long from, boolean follow, OutputSink out)
      throws InterruptedException;

  /** Replays the output from {@code from} and follows it, with input through the attachment. */
  SessionAttachment attach(String vm, String session, long from, OutputSink out)
      throws InterruptedException;
}

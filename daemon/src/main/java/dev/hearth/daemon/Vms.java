package dev.hearth.daemon;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The VMs of one hearth. {@code vm} arguments are a VM's name or a unique prefix of its id (an
 * ambiguous prefix is {@code invalid}, naming the candidates; none is {@code not_found}).
 */
public interface Vms {
  /**
   * Reserves the VM (name, address, TAP) and starts the operation that makes its disk, writes its
   * identity and boots it (unless {@link VmSpec#noStart()}).
   *
   * @throws HearthException {@code not_found} for an unknown image, {@code conflict} for a taken
   *     name, {@code precondition_failed} when the network is full
   */
  VmCreation create(VmSpec spec) throws InterruptedException;

  /** The VM's egress policy with its refused names and denied destinations. */
  VmEgress egress(String vm) throws InterruptedException;

  /**
   * Puts the VM under a new egress policy, live: its next connection follows it.
   *
   * @param policy {@code open}, {@code none} or {@code allow:NAME[,NAME...]}
   * @throws HearthException {@code invalid} naming a bad policy or entry
   */
  VmEgress setEgress(String vm, String policy) throws InterruptedException;

  /** Every VM, by name. */
  List<Vm> list();

  VmDetails show(String vm);

  /**
   * Boots a stopped VM and waits until its SSH answers.
   *
   * @throws HearthException {@code conflict} when it is not stopped
   */
  Vm start(String vm) throws InterruptedException;

  /**
   * Shuts the guest down cleanly and kills it once {@code timeout} (the config's {@code
   * stop_timeout} when empty) has passed.
   */
  Vm stop(String vm, Optional<Duration> timeout) throws InterruptedException;

  /** Kills the VMM at once. */
  Vm kill(String vm) throws InterruptedException;

  /**
   * Deletes the VM and everything it holds; returns its id.
   *
   * @throws HearthException {@code precondition_failed} for a running VM without {@code force}
   */
  String delete(String vm, boolean force) throws InterruptedException;

  /**
   * The VM's serial console log (capped at {@code console_log_max_size}, and at 512 KiB a reply).
   *
   * @param tail only the last this many lines; all when empty
   */
  byte[] logs(String vm, OptionalLong tail);

  /**
   * Runs a command in the running VM's guest over SSH, with no input and no terminal; its output
   * goes to {@code out} as it comes.
   *
   * @return the command's exit code (128 + n when signal n ended it)
   * @throws HearthException {@code precondition_failed} when the VM does not run, {@code
   *     host_error} or {@code timeout} when the guest cannot be reached
   */
  int exec(String vm, ExecSpec spec, OutputSink out) throws InterruptedException;

  /**
   * Starts a command in the running VM's guest, with input (through the handle) and, when the spec
   * has one, a terminal; its output goes to {@code out} as it comes.
   *
   * @throws HearthException as {@link #exec}
   */
  GuestProcess start(String vm, ExecSpec spec, OutputSink out) throws InterruptedException;

  /** Starts root's login shell in the running VM's guest on a terminal; as {@link #start}. */
  GuestProcess shell(String vm, Pty pty, OutputSink out) throws InterruptedException;

  /**
   * Hands each chunk of the VM's console log to {@code data} as it is written, after the last
   * {@code tail} lines (all when empty), until the VM stops or the thread is interrupted. Chunks
   * may split a UTF-8 character.
   */
  void followLogs(String vm, OptionalLong tail, Consumer<byte[]> data) throws InterruptedException;

  /**
   * Unpacks a tar of one entry named {@code name} into the guest: at {@code path}, or inside it
   * when it is a folder (docker cp's rules). {@code tar} is read to its end on a thread of its own.
   *
   * @return the tar's size in bytes
   * @throws HearthException {@code not_found} for a missing parent folder, {@code
   *     precondition_failed} for a folder onto a file
   */
  long copyIn(String vm, String path, String name, InputStream tar) throws InterruptedException;

  /**
   * Writes the guest's {@code path} to {@code tar} as a tar of one entry (its last name), as the
   * guest's own tar wrote it: the guest controls every byte, so never unpack it with a host tar;
   * {@link #copyOut(String, String, Path, CopyLimits)} unpacks it safely.
   *
   * @return the tar's size in bytes
   * @throws HearthException {@code not_found} when the path does not exist; {@code
   *     UncheckedIOException} when {@code tar} fails
   */
  long copyOut(String vm, String path, OutputStream tar) throws InterruptedException;

  /**
   * Copies the guest's {@code path} to the host, in this process and with its user's rights (the
   * daemon never writes host paths for a client), following docker cp's rules: into {@code
   * destination} when that is a folder, else it becomes {@code destination} (whose folder must
   * exist); a file replaces a file, a folder merges into a folder, a folder never replaces a file.
   *
   * <p>The guest's archive is parsed and checked entry by entry into a private folder (0700) beside
   * the destination, then moved into place; the folder is removed in every case. Only the entry and
   * paths under it are written; absolute names, {@code ..}, links out of the copy (symbolic or
   * hard), devices, FIFOs and setuid or setgid files are refused and listed in the result, and the
   * copy belongs to this process's user.
   *
   * @throws HearthException {@code not_found} when the path does not exist in the guest or the
   *     destination's folder does not exist; {@code precondition_failed} for a folder onto a file
   *     (or a file onto a folder); {@code invalid} when the path names no file or folder; {@code
   *     host_error} past a {@code limits} bound, when the entry itself was refused, or when the
   *     host's filesystem fails
   */
  CopiedOut copyOut(String vm, String path, Path destination, CopyLimits limits)
      throws InterruptedException;
}

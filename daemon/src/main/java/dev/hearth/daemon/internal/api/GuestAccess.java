package dev.hearth.daemon.internal.api;

import dev.hearth.daemon.CopiedOut;
import dev.hearth.daemon.CopyLimits;
import dev.hearth.daemon.ExecSpec;
import dev.hearth.daemon.GuestProcess;
import dev.hearth.daemon.OutputSink;
import dev.hearth.daemon.Pty;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * The guest I/O part of {@link dev.hearth.daemon.Vms} in-process: what the VM lifecycle's typed
 * adapter hands to the guest access code (outside its package). Each method's contract is the
 * {@code Vms} method of the same name.
 */
public interface GuestAccess {
  int exec(String vm, ExecSpec spec, OutputSink out) throws InterruptedException;

  GuestProcess start(String vm, ExecSpec spec, OutputSink out) throws InterruptedException;

  GuestProcess shell(String vm, Pty pty, OutputSink out) throws InterruptedException;

  long copyIn(String vm, String path, String name, InputStream tar) throws InterruptedException;

  long copyOut(String vm, String path, OutputStream tar) throws InterruptedException;

  CopiedOut copyOut(String vm, String path, Path destination, CopyLimits limits)
      throws InterruptedException;
}

package dev.hearth.qemu;

import dev.hearth.fcproc.KvmProbe;
import dev.hearth.fcproc.KvmStatus;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real host: KVM ({@link KvmProbe#system()}), /proc/cpuinfo, and QEMU started through {@code
 * setpriv --pdeathsig KILL}. The parent-death signal fires when the <em>thread</em> that forked the
 * child ends, so every start runs on one thread that lives as long as this JVM: QEMU then dies
 * exactly when the launcher does, SIGKILL included.
 */
final class LinuxQemuHost implements QemuHost {
  static final Path CPUINFO = Path.of("/proc/cpuinfo");
  private static final Pattern CPU_MHZ =
      Pattern.compile("(?m)^cpu MHz\\s*:\\s*(\\d+)(?:\\.(\\d{1,3}))?");

  private final ProcessBuilder.Redirect console;
  private final KvmProbe kvm = KvmProbe.system();
  private final ExecutorService starter =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "qemu-starter");
            // Never idle out: the thread must outlive every QEMU it started.
            t.setDaemon(true);
            return t;
          });

  /** QEMU's serial console goes to this process's stdout. */
  LinuxQemuHost() {
    this(ProcessBuilder.Redirect.INHERIT);
  }

  /**
   * QEMU's serial console goes to {@code console} (tests: a file, not the test runner's stdout).
   */
  LinuxQemuHost(ProcessBuilder.Redirect console) {
    this.console = console;
  }

  @Override
  public KvmStatus kvm() {
    return kvm.probe();
  }

  @Override
  public OptionalLong tscKhz() {
    try {
      return tscKhz(Files.readString(CPUINFO));
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /** The first {@code cpu MHz} of /proc/cpuinfo in kHz (the TSC runs at the nominal rate). */
  static OptionalLong tscKhz(String cpuinfo) {
    Matcher m = CPU_MHZ.matcher(cpuinfo);
    if (!m.find()) {
      return OptionalLong.empty();
    }
    String fraction = m.group(2) == null ? "" : m.group(2);
    long khz =
        Long.parseLong(m.group(1)) * 1000
            + (fraction.isEmpty() ? 0 : Long.parseLong((fraction + "00").substring(0, 3)));
    return khz > 0 ? OptionalLong.of(khz) : OptionalLong.empty();
  }

  @Override
  public Process start(List<String> argv) throws IOException {
    List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--"));
    command.addAll(argv);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(console)
            .redirectError(ProcessBuilder.Redirect.PIPE);
    Future<Process> started = starter.submit(builder::start);
    try {
      return started.get();
    } catch (InterruptedException e) {
      // The start itself cannot be interrupted; let it finish and kill what it started.
      Thread.currentThread().interrupt();
      killWhenStarted(started);
      throw new IOException("interrupted while starting QEMU", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    }
  }

  private static void killWhenStarted(Future<Process> started) {
    Thread t =
        new Thread(
            () -> {
              try {
                started.get().destroyForcibly();
              } catch (InterruptedException | ExecutionException e) {
                // Nothing was started, or the JVM is going away (and QEMU with it).
              }
            },
            "qemu-start-abort");
    t.setDaemon(true);
    t.start();
  }
}

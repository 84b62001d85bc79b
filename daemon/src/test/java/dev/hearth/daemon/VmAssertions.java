package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Checks that a VM left nothing behind, and cleans up fake firecrackers a failed test left. */
final class VmAssertions {
  private VmAssertions() {}

  /** No process, API socket, row, TAP, address or folder of the VM is left. */
  static void nothingLeft(VmFixture fx, String id, long pid) throws Exception {
    if (pid > 0) {
      assertThat(alive(pid)).as("firecracker pid %d is gone", pid).isFalse();
    }
    assertThat(fx.layout.vmApiSocket(id)).doesNotExist();
    assertThat(fx.layout.vmDir(id)).doesNotExist();
    assertThat(fx.call("vm.list", "{}").path("vms"))
        .noneMatch(v -> v.path("id").asText().equals(id));
    assertThat(fx.network.listTaps()).isEmpty();
    assertNoFakeProcesses(fx);
  }

  /**
   * No fake firecracker of the fixture runs. The console-log writer beside each VM (a forked {@code
   * sh} with the same arguments) ends on its own once it reads the end of its pipe, a moment after
   * firecracker dies, so this waits a bounded time for it.
   */
  static void assertNoFakeProcesses(VmFixture fx) throws Exception {
    try {
      Await.until("the fake firecracker processes to end", () -> fakeProcessesOf(fx).isEmpty());
    } catch (AssertionError e) {
      assertThat(fakeProcessesOf(fx)).as("fake firecracker processes left").isEmpty();
      throw e;
    }
  }

  /**
   * Whether the process runs: it exists and is no zombie (a killed child of this JVM is a zombie
   * until the JDK reaps it).
   */
  static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The fake firecracker processes started from this fixture's runtime folder. The command line is
   * read from /proc in full: the JDK's ProcessHandle.Info cuts it at 4 KiB and then reports no
   * arguments at all, which a fake's long class path easily exceeds.
   */
  static List<ProcessHandle> fakeProcessesOf(VmFixture fx) {
    String marker = fx.layout.vmSocketsDir().toString();
    return ProcessHandle.allProcesses().filter(p -> commandLine(p.pid()).contains(marker)).toList();
  }

  static String commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      return new String(raw, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      return ""; // gone meanwhile, or not ours to read
    }
  }

  /** Kills what a failed test left running, so that it does not outlive the test run. */
  static void killLeftoverFakes(VmFixture fx) {
    fakeProcessesOf(fx).forEach(ProcessHandle::destroyForcibly);
  }

  static List<Path> children(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Clock;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.opstate.OpStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash matrix's image build (ARCHITECTURE.md, "Crash consistency"): a daemon in a JVM of its
 * own is SIGKILLed while a real build runs its {@code --run} script (the tree's /proc and /dev
 * mounted in the build's mount namespace, the script in the run sandbox: the tree as its root),
 * then started again. The script sleeps ({@link BuildProcesses}), so that a process of the build is
 * there until the kill. Nothing of the build may be left: no process in its mount namespace or its
 * sandbox's (so no mount), none rooted in the staging folder, no cgroup, no staging folder, no
 * image; its operation has failed with the reason. The Debian base tree comes from the cache {@link
 * ImageBuildHostTest} fills.
 */
@RequiresRoot
@RequiresBinary({"debootstrap", "mkfs.ext4", "debugfs", "xz", "chroot", "tar"})
// With a cold cache debootstrap downloads Debian first; the waits inside have deadlines of their
// own, this is only the backstop.
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class ImageBuildCrashHostTest {
  private static final Duration TO_RUN = Duration.ofMinutes(20);
  private static final String IMAGE = "crashbuild";

  @TempDir Path dir;
  private final Cgroups cgroups = Cgroups.system(Posix.system(), Clock.system());

  /** The build's cgroup, named by this daemon's tag: another run's leftovers never match it. */
  private String group;

  private ChildDaemon daemon;
  private Thread watcher;

  @AfterEach
  void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    if (watcher != null) {
      Await.join(watcher, "the watcher of the build");
    }
    if (group != null) {
      // A test that failed before the restart's sweep leaves the build running: end it here.
      cgroups.remove(group);
    }
  }

  @Test
  void aDaemonKilledMidBuildLeavesNothingOfTheBuildAndItsOperationFailed() throws Exception {
    VmFixture fx = new VmFixture(dir);
    Files.createDirectories(Path.of(ImageBuildHostTest.CACHE));
    Files.createDirectories(fx.layout.imageBuildCacheDir().getParent());
    Files.createSymbolicLink(fx.layout.imageBuildCacheDir(), Path.of(ImageBuildHostTest.CACHE));
    Path staging = fx.layout.imageStagingDir();
    group = BuildProcesses.cgroup(staging, IMAGE);
    daemon = ChildDaemon.start(dir, fx.layout.socket());

    String op =
        VmFixture.parse(
                Rpc.call(
                    daemon.client(),
                    "image.build",
                    "{\"name\":\""
                        + IMAGE
                        + "\",\"run_script\":"
                        + BuildProcesses.RUN_SCRIPT
                        + "}"))
            .path("op")
            .path("id")
            .asText();
    CountDownLatch running = new CountDownLatch(1);
    Path socket = fx.layout.socket();
    watcher = new Thread(() -> watchUntilRun(socket, op, running), "build-watcher");
    watcher.start();
    Await.latch(running, TO_RUN, "build " + op + " to reach its run stage");
    String real = staging.toRealPath().toString();
    long sleeping =
        Await.value(
            "the build's run script (a sleep) in its cgroup hearth/" + group,
            () -> BuildProcesses.sleepersIn(group).stream().findFirst());
    // The run sandbox's and, above it, the build's, where the tree's /proc and /dev are mounted.
    List<String> namespaces = BuildProcesses.mountNamespacesAbove(sleeping);
    assertThat(namespaces).as("the mount namespaces of the build and its sandbox").hasSize(2);
    assertThat(cgroups.existing("build-")).as("%s", cgroups.describe()).contains(group);

    daemon.kill();
    Await.join(watcher, "the watcher of the build");
    watcher = null;
    daemon = ChildDaemon.start(dir, fx.layout.socket());

    Await.until(
        "no process left in the mount namespaces of the build " + namespaces,
        () -> BuildProcesses.processesIn(namespaces).isEmpty());
    assertThat(BuildProcesses.rootedUnder(real)).as("processes chrooted under %s", real).isEmpty();
    assertThat(BuildProcesses.isSleeper(sleeping))
        .as("the run script's sleep, pid %d", sleeping)
        .isFalse();
    assertThat(cgroups.existing("build-")).doesNotContain(group);
    group = null;
    assertThat(VmAssertions.children(staging)).as("staging folders").isEmpty();
    assertThat(fx.layout.imageDir(IMAGE)).doesNotExist();
    JsonNode shown =
        VmFixture.parse(Rpc.call(daemon.client(), "op.show", "{\"op\":\"" + op + "\"}"));
    assertThat(shown.path("state").asText()).as("%s", shown).isEqualTo("failed");
    assertThat(shown.path("error").path("message").asText()).contains(OpStore.INTERRUPTED_REASON);
    // The name is free again: the next daemon does not think the build still runs.
    assertThat(
            VmFixture.parse(Rpc.call(daemon.client(), "image.list", "{}"))
                .path("images")
                .findValuesAsText("name"))
        .doesNotContain(IMAGE);
  }

  private static void watchUntilRun(Path socket, String op, CountDownLatch running) {
    try (HearthClient watching = HearthClient.connect(socket)) {
      Rpc.call(
          TO_RUN,
          watching,
          "op.watch",
          "{\"op\":\"" + op + "\"}",
          (method, params) -> {
            if (VmFixture.parse(params).path("stage").asText().equals("run")) {
              running.countDown();
            }
          });
    } catch (RuntimeException e) {
      // Ends when the daemon is SIGKILLed under the watch.
    }
  }
}

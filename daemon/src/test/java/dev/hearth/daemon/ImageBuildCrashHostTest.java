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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash matrix's image build (ARCHITECTURE.md, "Crash consistency"): a daemon in a JVM of its
 * own is SIGKILLed while a real build is in its configure stage (the tree's /proc and /dev mounted
 * in the build's mount namespace, programs chrooted into it), then started again. Nothing of the
 * build may be left: no process of its mount namespace (so no mount), none rooted in the staging
 * folder, no cgroup, no staging folder, no image; its operation has failed with the reason. The
 * Debian base tree comes from the cache {@link ImageBuildHostTest} fills.
 */
@RequiresRoot
@RequiresBinary({"debootstrap", "mkfs.ext4", "debugfs", "xz", "chroot", "tar"})
// With a cold cache debootstrap downloads Debian first; the waits inside have deadlines of their
// own, this is only the backstop.
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class ImageBuildCrashHostTest {
  private static final Duration TO_CONFIGURE = Duration.ofMinutes(20);
  private static final String IMAGE = "crashbuild";

  @TempDir Path dir;
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
  }

  @Test
  void aDaemonKilledMidBuildLeavesNothingOfTheBuildAndItsOperationFailed() throws Exception {
    VmFixture fx = new VmFixture(dir);
    Files.createDirectories(Path.of(ImageBuildHostTest.CACHE));
    Files.createDirectories(fx.layout.imageBuildCacheDir().getParent());
    Files.createSymbolicLink(fx.layout.imageBuildCacheDir(), Path.of(ImageBuildHostTest.CACHE));
    Path staging = fx.layout.imageStagingDir();
    daemon = ChildDaemon.start(dir, fx.layout.socket());

    String op =
        VmFixture.parse(Rpc.call(daemon.client(), "image.build", "{\"name\":\"" + IMAGE + "\"}"))
            .path("op")
            .path("id")
            .asText();
    CountDownLatch configuring = new CountDownLatch(1);
    Path socket = fx.layout.socket();
    watcher = new Thread(() -> watchUntilConfigure(socket, op, configuring), "build-watcher");
    watcher.start();
    Await.latch(configuring, TO_CONFIGURE, "build " + op + " to reach its configure stage");
    String real = staging.toRealPath().toString();
    long chrooted =
        Await.value(
            "a process of the build chrooted into its tree under " + real,
            () -> rootedUnder(real).stream().findFirst());
    String buildNamespace = mountNamespace(chrooted);
    Cgroups cgroups = Cgroups.system(Posix.system(), Clock.system());
    assertThat(cgroups.existing("build-"))
        .as("the build's cgroup (%s)", cgroups.describe())
        .anyMatch(group -> group.endsWith("-" + IMAGE));

    daemon.kill();
    Await.join(watcher, "the watcher of the build");
    watcher = null;
    daemon = ChildDaemon.start(dir, fx.layout.socket());

    Await.until(
        "no process left in the build's mount namespace " + buildNamespace,
        () -> processesIn(buildNamespace).isEmpty());
    assertThat(rootedUnder(real)).as("processes chrooted under %s", real).isEmpty();
    assertThat(cgroups.existing("build-")).noneMatch(group -> group.endsWith("-" + IMAGE));
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

  private static void watchUntilConfigure(Path socket, String op, CountDownLatch configuring) {
    try (HearthClient watching = HearthClient.connect(socket)) {
      Rpc.call(
          TO_CONFIGURE,
          watching,
          "op.watch",
          "{\"op\":\"" + op + "\"}",
          (method, params) -> {
            if (VmFixture.parse(params).path("stage").asText().equals("configure")) {
              configuring.countDown();
            }
          });
    } catch (RuntimeException e) {
      // Ends when the daemon is SIGKILLed under the watch.
    }
  }

  /** The pids whose root folder is under {@code folder}. */
  private static List<Long> rootedUnder(String folder) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().matches("[0-9]+"))
          .filter(p -> link(p.resolve("root")).filter(r -> r.startsWith(folder)).isPresent())
          .map(p -> Long.valueOf(p.getFileName().toString()))
          .toList();
    }
  }

  private static List<Path> processesIn(String namespace) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().matches("[0-9]+"))
          .filter(p -> link(p.resolve("ns/mnt")).filter(namespace::equals).isPresent())
          .toList();
    }
  }

  private static String mountNamespace(long pid) {
    return link(Path.of("/proc", Long.toString(pid), "ns/mnt"))
        .orElseThrow(() -> new AssertionError("process " + pid + " ended before it was looked at"));
  }

  private static Optional<String> link(Path link) {
    try {
      return Optional.of(Files.readSymbolicLink(link).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty(); // the process is gone, or not ours to read
    }
  }
}

package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.core.Cgroups;
import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Config;
import dev.hearth.core.Layout;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.api.HearthClient;
import dev.hearth.imagemgr.KernelInfo;
import dev.hearth.imagemgr.KernelValidator;
import dev.hearth.imagemgr.RootfsValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds a real image from Debian through a running daemon, then cancels a second build while its
 * run script sleeps (the tree's /proc, /sys and /dev mounted; see {@link BuildProcesses}). The
 * debootstrapped base tree is cached in {@value #CACHE}, outside the source tree, keyed by the
 * build script's cache key, so only the first run on a machine downloads Debian.
 */
@RequiresRoot
@RequiresBinary({"debootstrap", "mkfs.ext4", "debugfs", "xz", "chroot", "tar"})
// Above JUnit's 5-minute default: with a cold cache the first build downloads Debian. The waits
// inside have deadlines of their own; this is only the backstop.
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class ImageBuildHostTest {
  /** A whole build, the Debian download of a cold cache included, on a slow network. */
  private static final Duration BUILD_DEADLINE = Duration.ofMinutes(25);

  static final String CACHE = "/var/cache/hearth-test/build";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());

  @TempDir Path dir;

  @Test
  void buildsABootableDebianImageAndACancelledBuildLeavesNothing() throws Exception {
    Config config = TestDaemons.config(dir);
    Layout layout = Layout.of(config);
    Files.createDirectories(Path.of(CACHE));
    Files.createDirectories(layout.imageBuildCacheDir().getParent());
    Files.createSymbolicLink(layout.imageBuildCacheDir(), Path.of(CACHE));

    try (TestDaemons.Running daemon = TestDaemons.start(config);
        HearthClient client = HearthClient.connect(daemon.socket)) {
      // The --run script in its sandbox on a real Debian tree (issue 12): its own root, /proc and
      // private /dev, no /sys, no network; it writes a file the test reads from the image.
      String run =
          "set -e; ls /dev | tr '\\n' ' ' > /root/sandbox-dev; test ! -e /sys/kernel;"
              + " test \"$(readlink /proc/1/root)\" = /; test \"$$\" = 1;"
              + " cat /proc/net/dev | grep -c : > /root/sandbox-net; echo sandboxed-run-ok";
      JsonNode op =
          JSON.readTree(
                  Rpc.call(
                      client,
                      "image.build",
                      JSON.createObjectNode()
                          .put("name", "base")
                          .put("run_script", run)
                          .toString()))
              .get("op");
      assertThat(op.get("kind").asText()).isEqualTo("image.build");
      List<String> stages = new ArrayList<>();
      String finalJson =
          Rpc.call(
              BUILD_DEADLINE,
              client,
              "op.watch",
              "{\"op\":\"" + op.get("id").asText() + "\"}",
              (method, params) -> {
                String stage = parse(params).get("stage").asText();
                if (stages.isEmpty() || !stages.get(stages.size() - 1).equals(stage)) {
                  stages.add(stage);
                }
              });
      JsonNode done = parse(finalJson);
      assertThat(done.get("state").asText()).as("%s", done).isEqualTo("succeeded");
      assertThat(stages).containsSubsequence("debootstrap", "configure", "kernel", "run", "mkfs");

      Path image = layout.imageDir("base");
      Path rootfs = image.resolve("rootfs.ext4");
      assertThat(RootfsValidator.validate(rootfs).label()).isEqualTo("hearth-root");
      assertThat(debugfs(rootfs, "stats")).containsPattern("Filesystem features:.* extent");
      assertThat(debugfs(rootfs, "cat /root/sandbox-dev"))
          .isEqualTo("fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ");
      assertThat(debugfs(rootfs, "cat /root/sandbox-net").strip()).isEqualTo("1");
      KernelInfo kernel = KernelValidator.validate(image.resolve("vmlinux"));
      assertThat(kernel).isNotNull();
      assertThat(Files.size(image.resolve("initrd"))).isGreaterThan(1 << 20);
      assertThat(Files.exists(image.resolve("manifest.json"))).isTrue();

      String key = Files.readString(layout.sshPublicKey()).strip();
      assertThat(debugfs(rootfs, "cat /root/.ssh/authorized_keys").strip()).isEqualTo(key);
      assertThat(debugfs(rootfs, "stat /etc/systemd/system/sockets.target.wants/ssh.socket"))
          .contains("Type: symlink");
      assertThat(debugfs(rootfs, "cat /etc/ssh/sshd_config.d/hearth.conf"))
          .contains("PasswordAuthentication no");
      assertThat(debugfs(rootfs, "cat /usr/local/sbin/hearth-network")).contains("/proc/cmdline");
      assertThat(
              debugfs(
                  rootfs, "stat /etc/systemd/system/sysinit.target.wants/hearth-network.service"))
          .contains("Type: symlink");
      assertThat(debugfs(rootfs, "stat /workspace")).contains("Type: directory");
      assertNothingLeftUnder(layout.imageStagingDir());

      // A second build, cancelled while its run script sleeps in the sandbox: the tree's /proc,
      // /sys and /dev are mounted then, in the build's own mount namespace (the host's
      // /proc/mounts never shows them); the cancel must leave no process of it and no staging.
      String group = BuildProcesses.cgroup(layout.imageStagingDir(), "second");
      JsonNode second =
          JSON.readTree(
                  Rpc.call(
                      client,
                      "image.build",
                      "{\"name\":\"second\",\"run_script\":" + BuildProcesses.RUN_SCRIPT + "}"))
              .get("op");
      String secondId = second.get("id").asText();
      CountDownLatch running = new CountDownLatch(1);
      Thread watcher =
          new Thread(
              () -> {
                try (HearthClient watching = HearthClient.connect(daemon.socket)) {
                  Rpc.call(
                      BUILD_DEADLINE,
                      watching,
                      "op.watch",
                      "{\"op\":\"" + secondId + "\"}",
                      (method, params) -> {
                        if (parse(params).get("stage").asText().equals("run")) {
                          running.countDown();
                        }
                      });
                }
              });
      watcher.start();
      Await.latch(running, Duration.ofMinutes(10), "the second build to reach its run stage");
      long sleeping =
          Await.value(
              "the second build's run script (a sleep) in its cgroup hearth/" + group,
              () -> BuildProcesses.sleepersIn(group).stream().findFirst());
      List<String> namespaces = BuildProcesses.mountNamespacesAbove(sleeping);
      assertThat(namespaces).as("the mount namespaces of the build and its sandbox").hasSize(2);
      Rpc.call(client, "op.cancel", "{\"op\":\"" + secondId + "\"}");
      Await.join(watcher, Duration.ofMinutes(2), "the watcher of the cancelled build");
      JsonNode cancelled = parse(Rpc.call(client, "op.show", "{\"op\":\"" + secondId + "\"}"));
      assertThat(cancelled.get("state").asText()).isEqualTo("cancelled");
      Await.until(
          "no process left in the mount namespaces of the cancelled build " + namespaces,
          () -> BuildProcesses.processesIn(namespaces).isEmpty());
      assertThat(BuildProcesses.isSleeper(sleeping)).as("the run script's sleep").isFalse();
      assertThat(Cgroups.system(Posix.system(), Clock.system()).existing("build-"))
          .doesNotContain(group);
      assertNothingLeftUnder(layout.imageStagingDir());
      assertThat(Files.exists(layout.imageDir("second"))).isFalse();
    }
  }

  private String debugfs(Path rootfs, String request) throws Exception {
    CommandResult r =
        runner.check(
            Command.builder("debugfs")
                .args("-R", request, rootfs.toString())
                .timeout(Duration.ofMinutes(1))
                .build());
    return r.stdout();
  }

  /** No mount, no chrooted process and no staging folder under the staging folder. */
  private static void assertNothingLeftUnder(Path staging) throws IOException {
    String real = staging.toRealPath().toString();
    assertThat(Files.readAllLines(Path.of("/proc/mounts")))
        .noneMatch(line -> line.split(" ")[1].startsWith(real));
    assertThat(BuildProcesses.rootedUnder(real)).as("processes chrooted under %s", real).isEmpty();
    try (Stream<Path> left = Files.list(staging)) {
      assertThat(left).isEmpty();
    }
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}

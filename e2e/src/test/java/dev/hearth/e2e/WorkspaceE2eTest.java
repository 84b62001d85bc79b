package dev.hearth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.CommandResult;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Workspaces on a real daemon and a real guest (issue 13): {@code vm create --workspace} with a
 * repository in every kind of uncommitted state, checked in the guest file by file and with {@code
 * git status --porcelain}; a commit, a hook and a config change made in the guest; the export, and
 * the host's branch, work tree, hooks and config afterwards.
 */
@Tag("e2e")
@RequiresRoot
@RequiresBinary({
  "qemu-system-x86_64",
  "debootstrap",
  "mkfs.ext4",
  "debugfs",
  "xz",
  "tar",
  "ip",
  "git"
})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(KeepLogsOnFailure.class)
class WorkspaceE2eTest implements KeepLogsOnFailure.Logs {
  private static final String IMAGE = "e2e-workspace";
  private static final String VM = "e2e-ws";
  private static final String NAME = "proj";
  private static final String GUEST = "/workspace/" + NAME;
  private static final Duration EXEC = Duration.ofMinutes(2);

  /** The host side of the test (E2eHost's work folder): one for all steps, which share it. */
  private Path dir;

  private Path repo;
  private E2eHost host;
  private String failed;

  /** The first uid of vm_uid_range here: no user or file of a test host has it. */
  private static final int UID_FIRST = 1_500_000_000;

  private String hostStatus;
  private String hostConfig;

  @BeforeAll
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void startDaemon() throws Exception {
    host = E2eHost.prepareFromSystemProperties();
    // This suite's VM runs under a uid of its own (issue 16), the other suites' under hearth-vm.
    host.addConfig("vm_uid_per_vm", "true");
    host.addConfig("vm_uid_range", "\"" + UID_FIRST + "-" + (UID_FIRST + 99) + "\"");
    host.startDaemon();
    dir = host.work;
  }

  @BeforeEach
  void earlierStepsPassed() {
    assumeTrue(failed == null, () -> "not run: the step " + failed + " failed");
  }

  @Test
  @Order(0)
  @Timeout(value = 32, unit = TimeUnit.MINUTES)
  void buildsTheImage() throws Exception {
    step("buildsTheImage", () -> host.hearthOk(Duration.ofMinutes(30), "image", "build", IMAGE));
  }

  @Test
  @Order(1)
  @Timeout(value = 14, unit = TimeUnit.MINUTES)
  void createsTheVmWithTheRepositoryImported() throws Exception {
    step(
        "createsTheVmWithTheRepositoryImported",
        () -> {
          repo = makeRepository(dir.resolve(NAME));
          hostStatus = git(repo, "status", "--porcelain");
          hostConfig = Files.readString(repo.resolve(".git/config"));
          CommandResult created =
              host.hearthOk(
                  Duration.ofMinutes(12),
                  "vm",
                  "create",
                  VM,
                  "--image",
                  IMAGE,
                  "--memory",
                  "512",
                  "--workspace",
                  repo.toString());
          assertThat(created.stdout())
              .contains("workspace: " + GUEST)
              .contains("[stage] prepare", "[stage] copy", "[stage] import");
          JsonNode list = host.hearthJson(EXEC, "workspace", "list", VM);
          assertThat(list).hasSize(1);
          assertThat(list.get(0).path("name").asText()).isEqualTo(NAME);

          JsonNode vm = host.vm(VM);
          assertThat(vm.path("vmm_uid").asInt())
              .as("the VM's own uid, the range's first")
              .isEqualTo(UID_FIRST);
          UnprivilegedVmm.of(vm, host.layout).assertUnprivilegedBoundedAndBlind(vm);
        });
  }

  @Test
  @Order(2)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void theGuestHasTheSameStateFileByFile() throws Exception {
    step(
        "theGuestHasTheSameStateFileByFile",
        () -> {
          assertThat(guest("git", "-C", GUEST, "status", "--porcelain")).isEqualTo(hostStatus);
          assertThat(guest("git", "-C", GUEST, "diff", "--cached"))
              .isEqualTo(git(repo, "diff", "--cached"));
          assertThat(guest("git", "-C", GUEST, "diff")).isEqualTo(git(repo, "diff"));
          assertThat(guest("cat", GUEST + "/both.txt")).isEqualTo("three\n");
          assertThat(guest("cat", GUEST + "/with space 'q'.txt")).isEqualTo("untracked\n");
          assertThat(guest("readlink", GUEST + "/link")).isEqualTo("a.txt\n");
          assertThat(guest("sh", "-c", "test -x " + GUEST + "/run.sh && echo x")).isEqualTo("x\n");
          assertThat(guest("sh", "-c", "test -e " + GUEST + "/debug.log || echo absent"))
              .isEqualTo("absent\n");
        });
  }

  @Test
  @Order(3)
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void theGuestsCommitComesBackAndNothingElse() throws Exception {
    step(
        "theGuestsCommitComesBackAndNothingElse",
        () -> {
          guest(
              "sh",
              "-c",
              "cd "
                  + GUEST
                  + " && git -c user.name=g -c user.email=g@guest commit -qam 'from the guest'"
                  + " && mkdir -p .git/hooks && printf '#!/bin/sh\\ntouch /tmp/pwned\\n'"
                  + " > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout"
                  + " && git config core.hooksPath /tmp/evil && git config user.name evil");
          JsonNode status = host.hearthJson(EXEC, "workspace", "status", VM, NAME);
          assertThat(status.path("commits_since_import").asInt()).isEqualTo(1);
          assertThat(status.path("host_branch_moved").asBoolean()).isFalse();

          JsonNode exported = host.hearthJson(EXEC, "workspace", "export", VM, NAME);
          assertThat(exported.path("branch").asText()).isEqualTo("hearth/" + VM + "/" + NAME);
          assertThat(exported.path("commits").asInt()).isEqualTo(1);
          assertThat(git(repo, "log", "-1", "--format=%s", "hearth/" + VM + "/" + NAME))
              .isEqualTo("from the guest\n");
          assertThat(git(repo, "status", "--porcelain")).isEqualTo(hostStatus);
          assertThat(git(repo, "symbolic-ref", "HEAD")).isEqualTo("refs/heads/main\n");
          assertThat(Files.readString(repo.resolve(".git/config"))).isEqualTo(hostConfig);
          assertThat(repo.resolve(".git/hooks/post-checkout")).doesNotExist();
          assertThat(Path.of("/tmp/pwned")).doesNotExist();
        });
  }

  @Test
  @Order(900)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void deletesTheVmsAndTheImageAndLeavesNothing() throws Exception {
    host.deleteAllVmsAndImage(IMAGE);
  }

  @Test
  @Order(901)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void daemonStopsAndNothingOfTheTestIsLeft() throws Exception {
    host.stopDaemonAndCheckNothingIsLeft();
  }

  @AfterAll
  void cleanUp() throws Exception {
    E2eHost.finish(host, getClass());
  }

  private interface Step {
    void run() throws Exception;
  }

  private void step(String name, Step step) throws Exception {
    try {
      step.run();
    } catch (Exception | AssertionError e) {
      failed = name;
      throw e;
    }
  }

  @Override
  public Map<String, Path> logs() {
    return host == null ? Map.of() : host.logs();
  }

  @Override
  public void failed(String step) {
    failed = step;
  }

  private String guest(String... argv) throws InterruptedException {
    List<String> args = new ArrayList<>(List.of("vm", "exec", VM, "--"));
    args.addAll(List.of(argv));
    return host.hearthOk(EXEC, args.toArray(String[]::new)).stdout();
  }

  /** main with two commits, then staged, unstaged, deleted, untracked, ignored, mode and link. */
  private static Path makeRepository(Path repo) throws Exception {
    Files.createDirectories(repo);
    git(repo, "init", "-q", "-b", "main");
    Files.writeString(repo.resolve(".gitignore"), "*.log\n");
    Files.writeString(repo.resolve("a.txt"), "a\n");
    Files.writeString(repo.resolve("both.txt"), "one\n");
    Files.writeString(repo.resolve("gone.txt"), "g\n");
    Files.writeString(repo.resolve("unstaged-gone.txt"), "g\n");
    Files.writeString(repo.resolve("run.sh"), "#!/bin/sh\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "first");
    Files.writeString(repo.resolve("a.txt"), "a2\n");
    git(repo, "commit", "-q", "-am", "second");
    Files.writeString(repo.resolve("both.txt"), "two\n");
    git(repo, "add", "both.txt");
    Files.writeString(repo.resolve("both.txt"), "three\n");
    git(repo, "rm", "-q", "gone.txt");
    Files.delete(repo.resolve("unstaged-gone.txt"));
    Files.setPosixFilePermissions(
        repo.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(repo.resolve("link"), Path.of("a.txt"));
    Files.writeString(repo.resolve("with space 'q'.txt"), "untracked\n");
    Files.writeString(repo.resolve("debug.log"), "ignored\n");
    return repo;
  }

  private static String git(Path repo, String... args) throws IOException, InterruptedException {
    List<String> argv =
        new ArrayList<>(List.of("git", "-c", "user.name=T", "-c", "user.email=t@t"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).directory(repo.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError(argv + " failed: " + new String(out, StandardCharsets.UTF_8));
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}

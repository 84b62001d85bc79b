package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.guest.NetnsSshd;
import dev.hearth.session.GuestTarget;
import dev.hearth.session.SessionLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workspaces through the typed API, in-process and over the socket alike, on the VM fixture with a
 * real OpenSSH sshd in a network namespace as every VM's guest: the guest keeps workspaces beside
 * its session folder in the test's folder, so the test looks at the guest's copy directly.
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "ip", "unshare", "git"})
class HearthWorkspaceHostTest {
  @TempDir Path dir;

  @Test
  void inProcess() throws Exception {
    VmFixture fx = new VmFixture(dir.resolve("daemon"));
    String[] host = {""};
    try (Hearth hearth = Daemon.openInProcess(fx.config, seams(fx, host))) {
      try (NetnsSshd sshd = sshd(fx)) {
        host[0] = sshd.host();
        workspaces(hearth);
      }
    }
  }

  @Test
  void overTheSocket() throws Exception {
    VmFixture fx = new VmFixture(dir.resolve("daemon"));
    String[] host = {""};
    fx.start(seams(fx, host));
    try (fx;
        NetnsSshd sshd = sshd(fx);
        Hearth hearth = Hearth.connect(fx.layout.socket())) {
      host[0] = sshd.host();
      workspaces(hearth);
    }
  }

  private Daemon.Seams seams(VmFixture fx, String[] host) {
    return fx.seams()
        .withGuestRoute(vm -> new GuestTarget(vm.name(), host[0], 22))
        .withSessionLayout(
            new SessionLayout(
                dir.resolve("guest/sessions").toString(), "/proc/sys/kernel/random/boot_id"));
  }

  private void workspaces(Hearth hearth) throws Exception {
    Path repo = Files.createDirectories(dir.resolve("my project"));
    git(repo, "init", "-q", "-b", "main");
    Files.writeString(repo.resolve("a.txt"), "a\n");
    Files.writeString(repo.resolve("gone.txt"), "g\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "first");
    Files.writeString(repo.resolve("a.txt"), "staged\n");
    git(repo, "add", "a.txt");
    Files.writeString(repo.resolve("a.txt"), "unstaged\n");
    Files.delete(repo.resolve("gone.txt"));
    Files.writeString(repo.resolve("new file.txt"), "untracked\n");
    String hostStatus = git(repo, "status", "--porcelain");
    String base = git(repo, "rev-parse", "HEAD").strip();

    hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE)).operation().await();
    try {
      List<String> progress = Collections.synchronizedList(new ArrayList<>());
      Workspace w =
          hearth
              .workspaces()
              .importRepository(
                  WorkspaceImport.of("demo", repo),
                  (stage, pct) -> progress.add(stage + " " + pct));
      // The caller's stages in order: the copy from its first bytes to all of them.
      assertThat(progress.get(0)).isEqualTo("prepare -1");
      assertThat(progress.get(1)).startsWith("copy ");
      assertThat(progress.subList(progress.size() - 2, progress.size()))
          .containsExactly("copy 100", "import -1");
      assertThat(progress.subList(1, progress.size() - 1)).allMatch(p -> p.startsWith("copy "));
      Path guestCopy = dir.resolve("guest/workspace/my project");
      assertThat(w.name()).isEqualTo("my project");
      assertThat(w.guestPath()).isEqualTo(guestCopy.toString());
      assertThat(w.hostPath()).isEqualTo(repo.toRealPath());
      assertThat(w.branch()).isEqualTo("main");
      assertThat(w.baseCommit()).isEqualTo(base);
      assertThat(git(guestCopy, "status", "--porcelain")).isEqualTo(hostStatus);
      assertThat(hearth.workspaces().list("demo")).containsExactly(w);
      assertThatThrownBy(
              () -> hearth.workspaces().importRepository(WorkspaceImport.of("demo", repo)))
          .isInstanceOfSatisfying(
              HearthException.class,
              e -> assertThat(e.kind()).isEqualTo(HearthException.Kind.CONFLICT));
      assertThatThrownBy(
              () ->
                  hearth
                      .workspaces()
                      .importRepository(WorkspaceImport.of("demo", dir.resolve("guest"))))
          .isInstanceOfSatisfying(
              HearthException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(HearthException.Kind.INVALID);
                assertThat(e).hasMessageContaining("is not inside a git work tree");
              });

      git(guestCopy, "commit", "-q", "-am", "in the guest");
      WorkspaceStatus status = hearth.workspaces().status("demo", "my project");
      assertThat(status.branch()).contains("main");
      assertThat(status.commitsSinceImport()).hasValue(1);
      assertThat(status.changes()).containsExactly("?? new file.txt");
      assertThat(status.hostBranchMoved()).isFalse();

      WorkspaceExported exported =
          hearth.workspaces().export(WorkspaceExport.of("demo", "my project"));
      assertThat(exported.branch()).isEqualTo("hearth/demo/my-project");
      assertThat(exported.commits()).isEqualTo(1);
      assertThat(git(repo, "log", "-1", "--format=%s", "hearth/demo/my-project"))
          .isEqualTo("in the guest\n");
      assertThat(git(repo, "status", "--porcelain")).isEqualTo(hostStatus);
      List<String> kinds = new ArrayList<>();
      hearth.ops().list().forEach(op -> kinds.add(op.kind() + " " + op.state()));
      assertThat(kinds).contains("workspace.import SUCCEEDED", "workspace.export SUCCEEDED");
    } finally {
      hearth.vms().delete("demo", true);
    }
    hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE)).operation().await();
    try {
      assertThat(hearth.workspaces().list("demo")).isEmpty();
    } finally {
      hearth.vms().delete("demo", true);
    }
  }

  private static String git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> argv =
        new ArrayList<>(List.of("git", "-c", "user.name=T", "-c", "user.email=t@t"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError(argv + " failed: " + new String(out, StandardCharsets.UTF_8));
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  private NetnsSshd sshd(VmFixture fx) throws Exception {
    return NetnsSshd.start(dir.resolve("sshd"), Files.readString(fx.layout.sshPublicKey()).trim());
  }
}

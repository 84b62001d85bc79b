package dev.hearth.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.attribute.PosixFilePermissions.fromString;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.daemon.internal.guest.NetnsSshd;
import dev.hearth.session.GuestTarget;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The typed API's guest I/O with a guest that answers: commands with input, a terminal, split
 * output and exit codes, an interactive shell, and copies both ways, in-process and over the socket
 * alike, on the VM fixture with a real OpenSSH sshd in a network namespace as every VM's guest (its
 * files are this host's, so the copies land in the test's folder).
 */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "ip", "unshare", "tar", "stty"})
class HearthGuestIoHostTest {
  @TempDir Path dir;

  @Test
  void inProcess() throws Exception {
    VmFixture fx = new VmFixture(dir);
    String[] host = {""};
    try (Hearth hearth =
        Daemon.openInProcess(
            fx.config, fx.seams().withGuestRoute(vm -> new GuestTarget(vm.name(), host[0], 22)))) {
      try (NetnsSshd sshd = sshd(fx)) {
        host[0] = sshd.host();
        guestIo(hearth);
      }
    }
  }

  @Test
  void overTheSocket() throws Exception {
    VmFixture fx = new VmFixture(dir);
    String[] host = {""};
    fx.start(fx.seams().withGuestRoute(vm -> new GuestTarget(vm.name(), host[0], 22)));
    try (fx;
        NetnsSshd sshd = sshd(fx);
        Hearth hearth = Hearth.connect(fx.layout.socket())) {
      host[0] = sshd.host();
      guestIo(hearth);
    }
  }

  private void guestIo(Hearth hearth) throws Exception {
    hearth.vms().create(VmSpec.of("demo", VmFixture.IMAGE)).operation().await();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      OutputSink split =
          (fd, bytes) -> {
            synchronized (out) {
              (fd == 2 ? err : out).writeBytes(bytes);
            }
          };
      try (GuestProcess cat = hearth.vms().start("demo", ExecSpec.of("cat"), split)) {
        cat.write("hello\n".getBytes(UTF_8));
        cat.write("world\n".getBytes(UTF_8));
        cat.closeInput();
        assertThat(cat.awaitExit()).isZero();
      }
      try (GuestProcess sh =
          hearth
              .vms()
              .start("demo", ExecSpec.of("sh", "-c", "echo out; echo err >&2; exit 3"), split)) {
        sh.closeInput();
        assertThat(sh.awaitExit()).isEqualTo(3);
      }
      synchronized (out) {
        assertThat(out.toString(UTF_8)).isEqualTo("hello\nworld\nout\n");
        assertThat(err.toString(UTF_8)).isEqualTo("err\n");
        out.reset();
      }
      try (GuestProcess size =
          hearth
              .vms()
              .start(
                  "demo",
                  ExecSpec.of("sh", "-c", "stty size").withPty(new Pty("xterm", 100, 30)),
                  split)) {
        size.closeInput();
        assertThat(size.awaitExit()).isZero();
      }
      synchronized (out) {
        assertThat(out.toString(UTF_8).strip()).isEqualTo("30 100");
        out.reset();
      }
      // The shell: the guest user's login shell on a terminal of the asked size, its exit code.
      try (GuestProcess shell = hearth.vms().shell("demo", new Pty("xterm", 90, 20), split)) {
        shell.write("stty size; echo shell-$((6 * 7)); exit 5\n".getBytes(UTF_8));
        assertThat(shell.awaitExit()).isEqualTo(5);
      }
      synchronized (out) {
        assertThat(out.toString(UTF_8)).contains("20 90").contains("shell-42");
      }

      Path from = Files.createDirectories(dir.resolve("from"));
      Files.writeString(from.resolve("notes.txt"), "copied");
      Path to = Files.createDirectories(dir.resolve("to"));
      byte[] tar = tar(from, "notes.txt");
      long in =
          hearth.vms().copyIn("demo", to.toString(), "notes.txt", new ByteArrayInputStream(tar));
      assertThat(in).isEqualTo(tar.length);
      assertThat(Files.readString(to.resolve("notes.txt"))).isEqualTo("copied");
      ByteArrayOutputStream back = new ByteArrayOutputStream();
      long outBytes = hearth.vms().copyOut("demo", to.resolve("notes.txt").toString(), back);
      assertThat(outBytes).isEqualTo(back.size()).isPositive();
      assertThat(back.toString(UTF_8)).contains("notes.txt").contains("copied");

      // To a host path: unpacked here by the extractor, modes kept, nothing refused.
      Path tree = Files.createDirectories(to.resolve("tree/sub"));
      Files.writeString(tree.resolve("secret"), "secret");
      Files.setPosixFilePermissions(tree.resolve("secret"), fromString("rw-------"));
      Files.setPosixFilePermissions(tree, fromString("rwxr-x---"));
      Path landed = dir.resolve("landed");
      CopiedOut copied =
          hearth.vms().copyOut("demo", to.resolve("tree").toString(), landed, CopyLimits.DEFAULT);
      assertThat(copied.path()).isEqualTo(landed);
      assertThat(copied.refused()).isEmpty();
      assertThat(copied.bytes()).isPositive();
      assertThat(Files.readString(landed.resolve("sub/secret"))).isEqualTo("secret");
      assertThat(Files.getPosixFilePermissions(landed.resolve("sub")))
          .isEqualTo(fromString("rwxr-x---"));
      assertThat(Files.getPosixFilePermissions(landed.resolve("sub/secret")))
          .isEqualTo(fromString("rw-------"));

      // Past a bound: the unpacking's error, not a broken stream, and nothing left.
      Files.write(to.resolve("big"), new byte[200_000]);
      Path tooBig = dir.resolve("too-big");
      Throwable thrown =
          catchThrowable(
              () ->
                  hearth
                      .vms()
                      .copyOut(
                          "demo",
                          to.resolve("big").toString(),
                          tooBig,
                          CopyLimits.DEFAULT.withMaxBytes(50_000)));
      assertThat(thrown)
          .isInstanceOfSatisfying(
              HearthException.class,
              e -> assertThat(e.kind()).isEqualTo(HearthException.Kind.HOST_ERROR))
          .hasMessage("the archive from the guest has more than 50000 bytes");
      assertThat(tooBig).doesNotExist();
      try (var left = Files.list(dir)) {
        assertThat(left.map(p -> p.getFileName().toString()))
            .noneMatch(n -> n.startsWith(".hearth-cp."));
      }
    } finally {
      hearth.vms().delete("demo", true);
    }
  }

  private static byte[] tar(Path parent, String name) throws Exception {
    Process tar =
        new ProcessBuilder("tar", "-c", "-f", "-", "-C", parent.toString(), "--", name)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    tar.getOutputStream().close();
    byte[] bytes = tar.getInputStream().readAllBytes();
    if (!tar.waitFor(30, TimeUnit.SECONDS) || tar.exitValue() != 0) {
      tar.destroyForcibly();
      throw new AssertionError("tar -c of " + parent.resolve(name) + " failed");
    }
    return bytes;
  }

  private NetnsSshd sshd(VmFixture fx) throws Exception {
    return NetnsSshd.start(dir.resolve("sshd"), Files.readString(fx.layout.sshPublicKey()).trim());
  }
}

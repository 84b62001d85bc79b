package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Layout;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import dev.hearth.session.testing.TestSshd;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GuestCopy over GuestExec against a real OpenSSH sshd on 127.0.0.1 (the host is the guest). */
@RequiresRoot
@RequiresBinary({"sshd", "ssh-keygen", "unshare", "tar"})
class GuestCopyHostTest {
  @TempDir static Path dir;
  private static MinaGuestDialer dialer;
  private static TestSshd sshd;
  private static GuestCopy copy;
  private static GuestTarget target;

  @BeforeAll
  static void startSshd() throws Exception {
    SshKeyPair key =
        SshKeyPair.loadOrCreate(new Layout(dir.resolve("state"), dir.resolve("run")), "t@hearth");
    dialer = MinaGuestDialer.of(key.keyPair());
    int port = TestSshd.freePort();
    sshd = TestSshd.start(dir.resolve("sshd"), port, key.publicKeyLine());
    sshd.awaitListening();
    copy = new GuestCopy(new GuestExec(dialer, Duration.ofSeconds(30)));
    target = new GuestTarget("demo", "127.0.0.1", port);
  }

  @AfterAll
  static void stopSshd() throws Exception {
    try {
      if (sshd != null) {
        sshd.close();
      }
    } finally {
      if (dialer != null) {
        dialer.close();
      }
    }
  }

  @Test
  void aFileGoesOutAndBackAndBothWaysCountTheTarsBytes() throws Exception {
    Path files = Files.createDirectories(dir.resolve("files"));
    Path source = Files.writeString(files.resolve("notes.txt"), "hello\n");
    ByteArrayOutputStream tar = new ByteArrayOutputStream();

    long out = copy.fromGuest(target, source.toString(), tar, Cancellation.never());
    Path copied = files.resolve("copy.txt");
    long in =
        copy.toGuest(
            target,
            copied.toString(),
            "notes.txt",
            new ByteArrayInputStream(tar.toByteArray()),
            Cancellation.never());

    assertThat(out).isPositive().isEqualTo(tar.size());
    assertThat(in).isEqualTo(out);
    assertThat(copied).hasContent("hello");
  }

  @Test
  void aMissingPathOrAFolderOntoAFileIsTypedAndNamesTheVm() throws Exception {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(
            () ->
                copy.fromGuest(
                    target, missing.toString(), OutputStream.nullOutputStream(), never()))
        .isInstanceOfSatisfying(
            GuestCopyException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestCopyException.Kind.NOT_FOUND))
        .hasMessage("no such file or folder: " + missing + " in VM demo");

    Path folder = Files.createDirectories(dir.resolve("folder/inner"));
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    copy.fromGuest(target, folder.toString(), tar, never());
    Path file = Files.writeString(dir.resolve("file"), "f");
    assertThatThrownBy(
            () ->
                copy.toGuest(
                    target,
                    file.toString(),
                    "inner",
                    new ByteArrayInputStream(tar.toByteArray()),
                    never()))
        .isInstanceOfSatisfying(
            GuestCopyException.class,
            e -> assertThat(e.kind()).isEqualTo(GuestCopyException.Kind.WRONG_KIND))
        .hasMessage("cannot overwrite the file " + file + " with a folder in VM demo");
    assertThat(file).hasContent("f");
  }

  private static Cancellation never() {
    return Cancellation.never();
  }
}

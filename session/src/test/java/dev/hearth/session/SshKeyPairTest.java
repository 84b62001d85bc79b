package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Layout;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshKeyPairTest {
  private static final String COMMENT = "hearth@testhost";

  @TempDir Path tmp;
  private Layout layout;

  @BeforeEach
  void setUp() {
    layout = new Layout(tmp.resolve("state"), tmp.resolve("run"));
  }

  @Test
  void firstStartCreatesAnEd25519KeyInOpenSshFilesWithTightModes() throws Exception {
    SshKeyPair key = SshKeyPair.loadOrCreate(layout, COMMENT);

    assertThat(modeOf(layout.sshDir())).isEqualTo("rwx------");
    assertThat(modeOf(layout.sshPrivateKey())).isEqualTo("rw-------");
    assertThat(modeOf(layout.sshPublicKey())).isEqualTo("rw-r--r--");
    assertThat(Files.readString(layout.sshPrivateKey()))
        .startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
    // The daemon ships the eddsa provider, so the key is ed25519.
    assertThat(key.publicKeyLine()).startsWith("ssh-ed25519 ").endsWith(" " + COMMENT);
    assertThat(Files.readString(layout.sshPublicKey())).isEqualTo(key.publicKeyLine() + "\n");
    assertThat(key.privateKeyFile()).isEqualTo(layout.sshPrivateKey());
    // No temp file is left beside the keys.
    try (var files = Files.list(layout.sshDir())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("id_ed25519", "id_ed25519.pub");
    }
  }

  @Test
  void theRsaFallbackIs3072Bits() {
    SshKeyPair key = SshKeyPair.loadOrCreate(layout, COMMENT, SshKeyPair.KeyType.RSA);

    assertThat(key.publicKeyLine()).startsWith("ssh-rsa ");
    assertThat(KeyUtils.getKeySize(key.keyPair().getPublic())).isEqualTo(3072);
  }

  @Test
  void thePublicKeyLineParsesAsAnAuthorizedKeyOfTheSameKey() throws Exception {
    SshKeyPair key = SshKeyPair.loadOrCreate(layout, COMMENT);

    AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(key.publicKeyLine());

    assertThat(entry.getComment()).isEqualTo(COMMENT);
    assertThat(
            KeyUtils.compareKeys(
                entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING),
                key.keyPair().getPublic()))
        .isTrue();
  }

  @Test
  void laterStartsLoadTheSameKey() {
    SshKeyPair first = SshKeyPair.loadOrCreate(layout, COMMENT);

    SshKeyPair second = SshKeyPair.loadOrCreate(layout, COMMENT);

    assertThat(KeyUtils.compareKeys(first.keyPair().getPublic(), second.keyPair().getPublic()))
        .isTrue();
    assertThat(second.keyPair().getPrivate().getEncoded())
        .isEqualTo(first.keyPair().getPrivate().getEncoded());
    assertThat(second.publicKeyLine()).isEqualTo(first.publicKeyLine());
  }

  @Test
  void aMissingPublicKeyFileIsWrittenAgainFromThePrivateKey() throws Exception {
    SshKeyPair first = SshKeyPair.loadOrCreate(layout, COMMENT);
    Files.delete(layout.sshPublicKey());

    SshKeyPair.loadOrCreate(layout, COMMENT);

    assertThat(Files.readString(layout.sshPublicKey())).isEqualTo(first.publicKeyLine() + "\n");
  }

  @Test
  @RequiresBinary("ssh-keygen")
  void openSshReadsThePrivateKeyFile() throws Exception {
    SshKeyPair key = SshKeyPair.loadOrCreate(layout, COMMENT);

    Process p =
        new ProcessBuilder("ssh-keygen", "-y", "-f", layout.sshPrivateKey().toString())
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    Await.Output o = Await.output(p, Await.DEFAULT, "ssh-keygen -y");
    String out = o.stdout();

    assertThat(o.exitCode()).as(out).isZero();
    String[] expected = key.publicKeyLine().split(" ");
    assertThat(out.strip()).startsWith(expected[0] + " " + expected[1]);
  }

  @Test
  void aPrivateKeyReadableByOthersIsRefusedWithTheFix() throws Exception {
    SshKeyPair.loadOrCreate(layout, COMMENT);
    Files.setPosixFilePermissions(
        layout.sshPrivateKey(), PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> SshKeyPair.loadOrCreate(layout, COMMENT))
        .isInstanceOf(SshKeyException.class)
        .hasMessageContaining(layout.sshPrivateKey().toString())
        .hasMessageContaining("chmod 600 " + layout.sshPrivateKey());
  }

  @Test
  void aCorruptPrivateKeyIsAnErrorNamingTheFile() throws Exception {
    Files.createDirectories(layout.sshDir());
    Files.writeString(
        layout.sshPrivateKey(),
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
            + "not base64 at all\n"
            + "-----END OPENSSH PRIVATE KEY-----\n");
    Files.setPosixFilePermissions(
        layout.sshPrivateKey(), PosixFilePermissions.fromString("rw-------"));

    assertThatThrownBy(() -> SshKeyPair.loadOrCreate(layout, COMMENT))
        .isInstanceOf(SshKeyException.class)
        .hasMessageContaining(layout.sshPrivateKey().toString());
    // The corrupt key is left for a person to look at, never silently replaced.
    assertThat(Files.readString(layout.sshPrivateKey())).contains("not base64 at all");
  }

  @Test
  void aFileWithNoKeyInItIsAnErrorNamingTheFile() throws Exception {
    Files.createDirectories(layout.sshDir());
    Files.writeString(layout.sshPrivateKey(), "hello\n");
    Files.setPosixFilePermissions(
        layout.sshPrivateKey(), PosixFilePermissions.fromString("rw-------"));

    assertThatThrownBy(() -> SshKeyPair.loadOrCreate(layout, COMMENT))
        .isInstanceOf(SshKeyException.class)
        .hasMessageContaining(layout.sshPrivateKey().toString());
  }

  private static String modeOf(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}

package dev.hearth.session;

import dev.hearth.core.FileSync;
import dev.hearth.core.Layout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's key pair for guests, in OpenSSH formats at {@link Layout#sshPrivateKey()} (mode
 * 0600, in a 0700 folder) and {@link Layout#sshPublicKey()} (one {@code authorized_keys} line).
 *
 * <p>Created on first start and loaded on later ones. The type is ed25519 (MINA SSHD gets it from
 * the net.i2p eddsa provider that the daemon ships); should that provider be missing, the key is
 * RSA 3072, which every OpenSSH sshd accepts with rsa-sha2 signatures. Both files are written
 * atomically (a temp file with the final mode, then a rename), so a crash never leaves a
 * half-written key.
 */
public final class SshKeyPair {
  private static final Logger log = LoggerFactory.getLogger(SshKeyPair.class);

  private static final int RSA_BITS = 3072;
  private static final int ED25519_BITS = 256;
  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC_FILE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> KEY_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  /** The key types hearth creates, best first. */
  enum KeyType {
    ED25519(KeyPairProvider.SSH_ED25519, ED25519_BITS),
    RSA(KeyPairProvider.SSH_RSA, RSA_BITS);

    private final String sshName;
    private final int bits;

    KeyType(String sshName, int bits) {
      this.sshName = sshName;
      this.bits = bits;
    }

    /** ed25519 where this JDK and MINA combination supports it, else RSA. */
    static KeyType preferred() {
      return SecurityUtils.isEDDSACurveSupported() ? ED25519 : RSA;
    }
  }

  private final Path privateKeyFile;
  private final KeyPair keyPair;
  private final String publicKeyLine;

  private SshKeyPair(Path privateKeyFile, KeyPair keyPair, String publicKeyLine) {
    this.privateKeyFile = privateKeyFile;
    this.keyPair = keyPair;
    this.publicKeyLine = publicKeyLine;
  }

  /**
   * Loads the key pair, creating it first when the private key file does not exist. The public key
   * file is (re)written from the private key when it is missing or differs.
   *
   * @param comment the public key's comment, {@code hearth@<host>}
   * @throws SshKeyException when the private key may be read by group or others (naming the file
   *     and the {@code chmod 600} that fixes it), is corrupt, or a file cannot be written
   */
  public static SshKeyPair loadOrCreate(Layout layout, String comment) {
    return loadOrCreate(layout, comment, KeyType.preferred());
  }

  static SshKeyPair loadOrCreate(Layout layout, String comment, KeyType typeIfNew) {
    Path privateFile = layout.sshPrivateKey();
    try {
      KeyPair keyPair;
      if (Files.exists(privateFile)) {
        keyPair = load(privateFile);
      } else {
        keyPair = create(layout.sshDir(), privateFile, comment, typeIfNew);
      }
      String line = PublicKeyEntry.toString(keyPair.getPublic()) + " " + comment;
      writePublicKeyIfChanged(layout.sshPublicKey(), line);
      return new SshKeyPair(privateFile, keyPair, line);
    } catch (IOException e) {
      throw new SshKeyException("cannot set up the guest SSH key " + privateFile + ": " + e, e);
    }
  }

  /** {@code hearth@<this host's name>}, the comment of a key created on this host. */
  public static String defaultComment() {
    try {
      return "hearth@" + Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (IOException e) {
      return "hearth@localhost";
    }
  }

  public KeyPair keyPair() {
    return keyPair;
  }

  /** The {@code authorized_keys} line: {@code ssh-ed25519 AAAA... hearth@host} (or ssh-rsa). */
  public String publicKeyLine() {
    return publicKeyLine;
  }

  public Path privateKeyFile() {
    return privateKeyFile;
  }

  private static KeyPair load(Path file) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
      throw new SshKeyException(
          "private key "
              + file
              + " has mode "
              + PosixFilePermissions.toString(perms)
              + ": group or others may read it; fix with `chmod 600 "
              + file
              + "`");
    }
    List<KeyPair> pairs = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      Iterable<KeyPair> loaded =
          SecurityUtils.loadKeyPairIdentities(
              null, NamedResource.ofName(file.toString()), in, null);
      if (loaded != null) {
        loaded.forEach(pairs::add);
      }
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      throw new SshKeyException(
          "private key " + file + " is not a readable OpenSSH private key: " + e.getMessage(), e);
    }
    if (pairs.size() != 1) {
      throw new SshKeyException(
          "private key "
              + file
              + " is not a readable OpenSSH private key: expected one key, found "
              + pairs.size()
              + "; move it away to have a new one created");
    }
    return pairs.get(0);
  }

  private static KeyPair create(Path dir, Path privateFile, String comment, KeyType type)
      throws IOException {
    KeyPair keyPair;
    try {
      keyPair = KeyUtils.generateKeyPair(type.sshName, type.bits);
    } catch (GeneralSecurityException e) {
      throw new SshKeyException("cannot generate a " + type.sshName + " key: " + e, e);
    }
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(KEY_DIR));
    }
    // createDirectories applies the umask to the mode; set it exactly.
    Files.setPosixFilePermissions(dir, KEY_DIR);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(keyPair, comment, null, out);
    } catch (GeneralSecurityException e) {
      throw new SshKeyException("cannot encode the new " + type.sshName + " key: " + e, e);
    }
    writeAtomically(privateFile, out.toByteArray(), PRIVATE_FILE);
    log.info("created the guest SSH key {} ({})", privateFile, type.sshName);
    return keyPair;
  }

  private static void writePublicKeyIfChanged(Path file, String line) throws IOException {
    String content = line + "\n";
    try {
      if (Files.readString(file).equals(content)) {
        return;
      }
    } catch (NoSuchFileException e) {
      // written below
    }
    writeAtomically(file, content.getBytes(StandardCharsets.UTF_8), PUBLIC_FILE);
  }

  private static void writeAtomically(Path target, byte[] bytes, Set<PosixFilePermission> mode)
      throws IOException {
    Path temp =
        Files.createTempFile(
            target.getParent(),
            "." + target.getFileName() + ".",
            ".tmp",
            PosixFilePermissions.asFileAttribute(mode));
    try {
      Files.setPosixFilePermissions(temp, mode);
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        ch.force(true);
      }
      // Same folder, so the rename is atomic: readers see the old file or the whole new one.
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      // Guests get this key written into their disks: a power cut must not take the rename back
      // and have the next start make a new key that no guest knows.
      FileSync.system().directory(target.getParent());
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}

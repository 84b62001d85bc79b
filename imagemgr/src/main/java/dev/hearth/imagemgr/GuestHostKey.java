package dev.hearth.imagemgr;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/**
 * A guest's own SSH host key: a fresh ed25519 key pair made for one VM, in the two files OpenSSH's
 * sshd reads ({@value #PRIVATE_PATH}, mode 0600, and {@value #PUBLIC_PATH}). Each VM gets its own,
 * so that VMs made from one image never share a host key.
 *
 * @param privateKey the private key in OpenSSH's format (unencrypted, as sshd needs it)
 * @param publicKeyLine {@code ssh-ed25519 AAAA... root@<vm>}
 */
public record GuestHostKey(String privateKey, String publicKeyLine) {
  public static final String PRIVATE_PATH = "/etc/ssh/ssh_host_ed25519_key";
  public static final String PUBLIC_PATH = PRIVATE_PATH + ".pub";

  private static final int ED25519_BITS = 256;

  @Override
  public String toString() {
    // Never the private key, should a key end up in a log message.
    return "GuestHostKey[" + publicKeyLine + "]";
  }

  /**
   * Makes a new key pair.
   *
   * @param comment the public key's comment, {@code root@<vm name>} as ssh-keygen would write it
   * @throws GuestIdentityException when this JVM cannot make or encode an ed25519 key
   */
  public static GuestHostKey generate(String comment) {
    try {
      KeyPair pair = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, ED25519_BITS);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, comment, null, out);
      return new GuestHostKey(
          out.toString(StandardCharsets.US_ASCII),
          PublicKeyEntry.toString(pair.getPublic()) + " " + comment);
    } catch (GeneralSecurityException | IOException e) {
      throw new GuestIdentityException("cannot make an ed25519 SSH host key: " + e, e);
    }
  }
}

package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes identities into real ext4 images and reads them back with debugfs. */
@RequiresBinary({"mkfs.ext4", "debugfs"})
class DebugfsGuestIdentityHostTest {
  private static final String KEY = DebugfsGuestIdentityTest.KEY;
  private static final long IMAGE_BYTES = 32L << 20;
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  @TempDir Path tmp;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final DebugfsGuestIdentity identity =
      new DebugfsGuestIdentity(runner, dev.hearth.core.ToolUser.ROOT, "hearth.internal");
  private Path disk;

  @BeforeEach
  void setUp() throws Exception {
    // A space in the folder: the disk path must survive as one argument.
    Path dir = Files.createDirectories(tmp.resolve("vm disks"));
    disk = dir.resolve("root fs.ext4");
  }

  /**
   * Issue 12: debugfs -w ran as root on a disk copied from an image a guest may have written. As
   * the daemon runs it: as the tool user with no capabilities, the disk in a root-only folder.
   */
  @Test
  @RequiresRoot
  @RequiresBinary({"unshare", "setpriv"})
  void writesAsTheToolUserAndGivesTheDiskBack() throws Exception {
    makeImage(null);
    Files.setPosixFilePermissions(disk.getParent(), PosixFilePermissions.fromString("rwx------"));
    List<List<String>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    Runner recording =
        command -> {
          seen.add(command.argv());
          return runner.run(command);
        };

    new DebugfsGuestIdentity(recording, new dev.hearth.core.ToolUser(65533))
        .write(disk, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.53", KEY);

    assertThat(cat("/etc/hostname")).isEqualTo("demo\n");
    assertThat(cat("/root/.ssh/authorized_keys")).isEqualTo(KEY + "\n");
    assertThat(Files.getAttribute(disk, "unix:uid")).isEqualTo(0);
    assertThat(seen)
        .isNotEmpty()
        .allSatisfy(
            argv ->
                assertThat(argv)
                    .startsWith("unshare", "--net")
                    .contains("--reuid=65533", "--bounding-set=-all", "debugfs"));
  }

  @Test
  void writesEveryFileWithItsContentModeAndOwnerIntoAnImageWithoutEtcOrRoot() throws Exception {
    makeImage(null);
    Set<Path> scratchBefore = scratchFolders();

    identity.write(disk, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.53", KEY);

    // The scratch folders are in the shared /tmp, where other processes' writes come and go:
    // ours must be gone, theirs go once their writes end.
    Await.until(
        "no hearth-identity-* folder in "
            + System.getProperty("java.io.tmpdir")
            + " but those there before the write",
        () -> scratchBefore.containsAll(scratchFolders()));

    assertThat(cat("/etc/hostname")).isEqualTo("demo\n");
    assertThat(cat("/root/.ssh/authorized_keys")).isEqualTo(KEY + "\n");
    assertThat(cat("/etc/resolv.conf"))
        .isEqualTo("# written by hearth\nnameserver 10.77.0.53\nsearch hearth.internal\n");
    assertThat(cat("/etc/hosts"))
        .startsWith("127.0.0.1\tlocalhost\n")
        .endsWith("10.77.0.2\tdemo\t# hearth\n");
    assertThat(cat(GuestNetworkEnv.PATH))
        .contains(
            "HEARTH_HOSTNAME=demo\n",
            "HEARTH_IP=10.77.0.2\n",
            "HEARTH_PREFIX=24\n",
            "HEARTH_CIDR=10.77.0.2/24\n",
            "HEARTH_NETMASK=255.255.255.0\n",
            "HEARTH_GATEWAY=10.77.0.1\n",
            "HEARTH_DNS=10.77.0.53\n");

    assertThat(stat("/root/.ssh/authorized_keys")).isEqualTo(new Inode("regular", "0600", 0, 0));
    assertThat(stat("/root/.ssh")).isEqualTo(new Inode("directory", "0700", 0, 0));
    assertThat(stat("/etc/hostname")).isEqualTo(new Inode("regular", "0644", 0, 0));
    assertThat(stat(GuestNetworkEnv.PATH)).isEqualTo(new Inode("regular", "0644", 0, 0));
    assertThat(stat("/etc/hearth")).isEqualTo(new Inode("directory", "0755", 0, 0));
    assertThat(stat(GuestHostKey.PRIVATE_PATH)).isEqualTo(new Inode("regular", "0600", 0, 0));
    assertThat(stat(GuestHostKey.PUBLIC_PATH)).isEqualTo(new Inode("regular", "0644", 0, 0));
  }

  @Test
  @RequiresBinary("ssh-keygen")
  void eachWriteGivesTheGuestAHostKeyOfItsOwnThatOpenSshReads() throws Exception {
    makeImage(null);
    String returned = identity.write(disk, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY);
    String first = cat(GuestHostKey.PUBLIC_PATH);
    assertThat(first)
        .as("the key the daemon pins is the one on the disk")
        .isEqualTo(returned + "\n");
    Path privateKey = Files.createFile(tmp.resolve("host_key"), OWNER_ONLY);
    Files.writeString(privateKey, cat(GuestHostKey.PRIVATE_PATH));

    // ssh-keygen -y derives the public key from the private one: the pair belongs together.
    String derived =
        runner.check(Command.of("ssh-keygen", "-y", "-f", privateKey.toString())).stdout();
    assertThat(first).startsWith("ssh-ed25519 ").endsWith(" root@demo\n");
    assertThat(first.strip()).isEqualTo(derived.strip());

    identity.write(disk, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY);
    assertThat(cat(GuestHostKey.PUBLIC_PATH)).startsWith("ssh-ed25519 ").isNotEqualTo(first);
  }

  @Test
  @RequiresRoot
  void replacesTheImagesFilesAndTakesOverTheSshFolder() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    Files.createDirectories(tree.resolve("etc"));
    Files.writeString(tree.resolve("etc/hostname"), "image-default\n");
    Files.writeString(tree.resolve("etc/hosts"), "127.0.0.1\tlocalhost\n10.0.0.5\tbuildbox\n");
    Path ssh = Files.createDirectories(tree.resolve("root/.ssh"));
    Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(ssh.resolve("authorized_keys"), "ssh-rsa AAAAold someone\n");
    runner.check(Command.of("chown", "-R", "1000:1000", ssh.toString()));
    // A host key baked into the image, which every VM of it would otherwise share.
    Path etcSsh = Files.createDirectories(tree.resolve("etc/ssh"));
    Files.writeString(etcSsh.resolve("ssh_host_ed25519_key.pub"), "ssh-ed25519 AAAAshared image\n");
    // Keys of other types, which sshd would offer besides the pinned one.
    Files.writeString(etcSsh.resolve("ssh_host_rsa_key"), "image's rsa key\n");
    Files.writeString(etcSsh.resolve("ssh_host_ecdsa_key.pub"), "ecdsa-sha2-nistp256 AAAA image\n");
    makeImage(tree);

    identity.write(disk, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY);

    assertThat(cat("/etc/hostname")).isEqualTo("demo\n");
    assertThat(cat("/etc/hosts"))
        .isEqualTo("127.0.0.1\tlocalhost\n10.0.0.5\tbuildbox\n10.77.0.2\tdemo\t# hearth\n");
    assertThat(cat("/root/.ssh/authorized_keys")).isEqualTo(KEY + "\n");
    assertThat(stat("/root/.ssh")).isEqualTo(new Inode("directory", "0700", 0, 0));
    assertThat(stat("/root/.ssh/authorized_keys")).isEqualTo(new Inode("regular", "0600", 0, 0));
    assertThat(cat(GuestHostKey.PUBLIC_PATH)).startsWith("ssh-ed25519 ").doesNotContain("shared");
    assertThat(ls("/etc/ssh"))
        .as("host keys left in /etc/ssh")
        .filteredOn(name -> name.startsWith("ssh_host_"))
        .containsExactlyInAnyOrder("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub");
  }

  private List<String> ls(String guestFolder) throws Exception {
    String out =
        runner.check(Command.of("debugfs", "-R", "ls -l " + guestFolder, disk.toString())).stdout();
    return out.lines()
        .map(String::strip)
        .filter(l -> !l.isEmpty())
        .map(l -> l.substring(l.lastIndexOf(' ') + 1))
        .toList();
  }

  @Test
  void writingAgainReplacesEverythingAndKeepsOneHostsLine() throws Exception {
    makeImage(null);
    identity.write(disk, "first", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY);

    String otherKey = KEY.replace("hearth@host", "hearth@other");
    identity.write(disk, "second", "10.77.0.3/16", "10.77.0.1", "1.1.1.1", otherKey);

    assertThat(cat("/etc/hostname")).isEqualTo("second\n");
    assertThat(cat("/root/.ssh/authorized_keys")).isEqualTo(otherKey + "\n");
    assertThat(cat("/etc/hosts")).doesNotContain("first").containsOnlyOnce("# hearth");
    assertThat(cat("/etc/hosts")).endsWith("10.77.0.3\tsecond\t# hearth\n");
    assertThat(cat(GuestNetworkEnv.PATH)).contains("HEARTH_CIDR=10.77.0.3/16\n");
    assertThat(cat("/etc/resolv.conf")).contains("nameserver 1.1.1.1\n");
    assertThat(stat("/root/.ssh/authorized_keys")).isEqualTo(new Inode("regular", "0600", 0, 0));
  }

  @Test
  void aDiskThatIsNotExt4IsAnErrorNamingIt() throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(IMAGE_BYTES);
    }

    assertThatThrownBy(
            () -> identity.write(disk, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY))
        .isInstanceOf(GuestIdentityException.class)
        .hasMessageContaining(disk.toString())
        .hasMessageContaining("not an ext2/3/4 filesystem");
  }

  @Test
  void aMissingDiskIsAnErrorNamingIt() {
    assertThatThrownBy(
            () -> identity.write(disk, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY))
        .isInstanceOf(GuestIdentityException.class)
        .hasMessageContaining(disk.toString())
        .hasMessageContaining("does not exist");
  }

  private void makeImage(Path tree) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(IMAGE_BYTES);
    }
    Command.Builder mkfs = Command.builder("mkfs.ext4").args("-F", "-q");
    if (tree != null) {
      mkfs.args("-d", tree.toString());
    }
    runner.check(mkfs.args(disk.toString()).build());
  }

  private static Set<Path> scratchFolders() throws Exception {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("hearth-identity-"))
          .collect(Collectors.toSet());
    }
  }

  private String cat(String guestPath) throws Exception {
    return runner.check(Command.of("debugfs", "-R", "cat " + guestPath, disk.toString())).stdout();
  }

  private record Inode(String type, String mode, int uid, int gid) {}

  private static final Pattern TYPE_MODE = Pattern.compile("Type: (\\w+)\\s+Mode:\\s+(\\d+)");
  private static final Pattern OWNER = Pattern.compile("User:\\s+(\\d+)\\s+Group:\\s+(\\d+)");

  private Inode stat(String guestPath) throws Exception {
    String out =
        runner.check(Command.of("debugfs", "-R", "stat " + guestPath, disk.toString())).stdout();
    Matcher typeMode = TYPE_MODE.matcher(out);
    Matcher owner = OWNER.matcher(out);
    assertThat(typeMode.find() && owner.find())
        .as("debugfs stat of %s: %s", guestPath, out)
        .isTrue();
    return new Inode(
        typeMode.group(1),
        typeMode.group(2),
        Integer.parseInt(owner.group(1)),
        Integer.parseInt(owner.group(2)));
  }
}

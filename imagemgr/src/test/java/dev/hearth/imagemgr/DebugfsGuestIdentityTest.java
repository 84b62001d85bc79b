package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.InvalidNameException;
import dev.hearth.core.testing.FakeRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The debugfs conversation with a fake runner; DebugfsGuestIdentityHostTest uses real disks. */
class DebugfsGuestIdentityTest {
  static final String KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn0F8RpF6ewG3AoZRpR3ci5IUnx2bXFyVhF1PhxCTp6"
          + " hearth@host";
  private static final Path DISK = Path.of("/var/lib/hearth/vms/01/rootfs.ext4");
  private static final String BANNER = "debugfs 1.47.0 (5-Feb-2023)\n";

  private final FakeRunner runner = new FakeRunner();
  private final DebugfsGuestIdentity identity = new DebugfsGuestIdentity(runner);

  @Test
  void anInvalidHostnameIsRefusedBeforeDebugfsRuns() {
    assertThatThrownBy(() -> write("Bad Name"))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("Bad Name");
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aKeyThatIsNotOnePublicKeyLineIsRefusedBeforeDebugfsRuns() {
    assertThatThrownBy(
            () ->
                identity.write(DISK, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", "not a key"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a key");
    assertThatThrownBy(
            () ->
                identity.write(
                    DISK, "demo", "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY + "\n" + KEY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aBadAddressIsRefusedBeforeDebugfsRuns() {
    assertThatThrownBy(
            () -> identity.write(DISK, "demo", "10.77.0.2", "10.77.0.1", "10.77.0.1", KEY))
        .hasMessageContaining("10.77.0.2");
    assertThatThrownBy(
            () -> identity.write(DISK, "demo", "10.77.0.2/24", "10.77.0.300", "10.77.0.1", KEY))
        .hasMessageContaining("gateway")
        .hasMessageContaining("10.77.0.300");
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void runsDebugfsOnTheDiskWithOneScriptPerFolderAndFile() throws Exception {
    runner.on(List.of("debugfs"), 0, "", BANNER);
    runner.on(
        List.of("debugfs", "-R"), 0, "", BANNER + "/etc/hosts: File not found by ext2_lookup \n");

    write("demo");

    List<List<String>> argvs = runner.argvs();
    assertThat(argvs.get(0))
        .containsExactly("debugfs", "-R", "cat \"/etc/hosts\"", DISK.toString());
    // five folders, seven files, the removal of the image's other host keys
    assertThat(argvs.subList(1, argvs.size()))
        .hasSize(13)
        .allSatisfy(
            argv -> {
              assertThat(argv.subList(0, 3)).containsExactly("debugfs", "-w", "-f");
              assertThat(argv.get(4)).isEqualTo(DISK.toString());
            });
  }

  @Test
  void anErrorLineFailsTheWriteNamingTheDiskAndTheCommand() {
    runner.on(List.of("debugfs"), 0, "", BANNER);
    runner.on(
        List.of("debugfs", "-w"),
        c ->
            FakeRunner.result(
                c,
                0,
                "",
                scriptOf(c).contains("/etc/hostname")
                    ? BANNER
                        + "rm: File not found by ext2_lookup while trying to resolve filename\n"
                        + "write: Could not allocate inode in ext2 filesystem\n"
                    : BANNER));

    assertThatThrownBy(() -> write("demo"))
        .isInstanceOf(GuestIdentityException.class)
        .hasMessageContaining(DISK.toString())
        .hasMessageContaining("`write \"hostname\" \"/etc/hostname\"` failed")
        .hasMessageContaining("Could not allocate inode")
        .message()
        .doesNotContain("rm:");
  }

  @Test
  void errorsAreTracedInScriptOrderToTheCommandsTheyName() {
    List<String> commands =
        List.of(
            "rm \"/etc/hosts\"",
            "write \"hosts\" \"/etc/hosts\"",
            "sif \"/etc/hosts\" mode 0100644",
            "sif \"/etc/hosts\" uid 0");

    String described =
        DebugfsGuestIdentity.describe(
            List.of(
                "write: Could not allocate inode",
                "/etc/hosts: File not found by ext2_lookup",
                "/etc/hosts: File not found by ext2_lookup",
                "something else"),
            new DebugfsGuestIdentity.Step("write /etc/hosts", commands));

    assertThat(described)
        .isEqualTo(
            "`write \"hosts\" \"/etc/hosts\"` failed: write: Could not allocate inode; "
                + "`sif \"/etc/hosts\" mode 0100644` failed: "
                + "/etc/hosts: File not found by ext2_lookup; "
                + "`sif \"/etc/hosts\" uid 0` failed: /etc/hosts: File not found by ext2_lookup; "
                + "something else");
  }

  @Test
  void harmlessStderrLinesAreNotErrors() {
    String stderr =
        BANNER
            + "ext2fs_mkdir: Ext2 directory already exists while creating directory \"etc\"\n"
            + "mkdir: Ext2 directory already exists \n"
            + "rm: File not found by ext2_lookup while trying to resolve filename\n"
            + "\n";

    assertThat(DebugfsGuestIdentity.errors(stderr)).isEmpty();
    assertThat(DebugfsGuestIdentity.errors(stderr + "sif: Filesystem opened read/only\n"))
        .containsExactly("sif: Filesystem opened read/only");
  }

  @Test
  void aDiskDebugfsCannotOpenIsNamedAsNotExt4() {
    runner.on(
        List.of("debugfs", "-R"),
        0,
        "",
        BANNER
            + "debugfs: Bad magic number in super-block while trying to open "
            + DISK
            + "\ncat: Filesystem not open\n");

    assertThatThrownBy(() -> write("demo"))
        .isInstanceOf(GuestIdentityException.class)
        .hasMessageContaining(DISK.toString())
        .hasMessageContaining("Bad magic number");
    assertThat(runner.commands()).hasSize(1);
  }

  @Test
  void quotingRefusesWhatDebugfsCannotQuote() {
    assertThat(DebugfsGuestIdentity.quote("/a b/c")).isEqualTo("\"/a b/c\"");
    assertThatThrownBy(() -> DebugfsGuestIdentity.quote("a\"b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DebugfsGuestIdentity.quote("a\nb"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hostsKeepsTheImagesLinesAndReplacesHearthsOwn() {
    String image = "127.0.0.1\tlocalhost\n10.0.0.5\tbuildbox\n10.77.0.9\told\t# hearth\n";

    String merged = DebugfsGuestIdentity.mergeHosts(image, "10.77.0.2", "demo");

    assertThat(merged)
        .isEqualTo("127.0.0.1\tlocalhost\n10.0.0.5\tbuildbox\n10.77.0.2\tdemo\t# hearth\n");
    assertThat(DebugfsGuestIdentity.mergeHosts("", "10.77.0.2", "demo"))
        .startsWith("127.0.0.1\tlocalhost\n")
        .endsWith("10.77.0.2\tdemo\t# hearth\n");
  }

  /** The script a {@code debugfs -w -f SCRIPT DISK} call runs; it exists during the call. */
  private static String scriptOf(Command c) {
    try {
      return Files.readString(Path.of(c.argv().get(3)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void write(String hostname) throws InterruptedException {
    identity.write(DISK, hostname, "10.77.0.2/24", "10.77.0.1", "10.77.0.1", KEY);
  }
}

package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.testing.RequiresBinary;
import dev.hearth.core.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user e2fsprogs run as on guest-written filesystems (issue 12: they ran as root). */
@RequiresRoot
@RequiresBinary({"unshare", "setpriv", "sh"})
class ToolUserHostTest {
  private static final int UID = 65533;

  @TempDir Path dir;
  private final Runner runner = new ProcessRunner(Posix.system(), Clock.system());
  private final ToolUser tools = new ToolUser(UID);

  @Test
  void aConfinedCommandRunsAsTheUserWithNoCapabilitiesAndNoNetwork() throws Exception {
    CommandResult result =
        runner.check(
            tools.confine(
                Command.of(
                    "sh",
                    "-c",
                    "id -u; id -g; id -G; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status;"
                        + " grep -c : /proc/net/dev")));

    assertThat(result.stdout().lines().toList())
        .containsExactly(
            "" + UID,
            "" + UID,
            "" + UID,
            "CapPrm:\t0000000000000000",
            "CapEff:\t0000000000000000",
            "CapBnd:\t0000000000000000",
            "1"); // lo only
  }

  @Test
  void aGrantedFileInARootOnlyFolderIsReachedThroughItsDescriptorAndGivenBack() throws Exception {
    Path closed = Files.createDirectory(dir.resolve("state"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    Path disk = Files.writeString(closed.resolve("rootfs.ext4"), "disk bytes\n");
    Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-------"));
    Command read =
        Command.of("sh", "-c", "cat \"$1\" && echo more >> \"$1\"", "sh", tools.deviceName(disk));

    CommandResult ungranted = runner.run(tools.confine(read, disk));
    CommandResult granted;
    try (ToolUser.Grant grant = tools.grant(List.of(disk))) {
      assertThat(Files.getAttribute(disk, "unix:uid")).isEqualTo(UID);
      granted = runner.run(tools.confine(read, disk));
    }

    assertThat(ungranted.exitCode()).isNotZero();
    assertThat(ungranted.stderr()).contains("Permission denied");
    assertThat(granted.exitCode()).as(granted.stderr()).isZero();
    assertThat(granted.stdout()).isEqualTo("disk bytes\n");
    assertThat(Files.readString(disk)).isEqualTo("disk bytes\nmore\n");
    assertThat(Files.getAttribute(disk, "unix:uid")).isEqualTo(0);
    assertThat(Files.getAttribute(disk, "unix:gid")).isEqualTo(0);
    // Only the file: the folder on the way stays root's.
    assertThat(Files.getAttribute(closed, "unix:uid")).isEqualTo(0);
  }

  @Test
  void rootConfinesNothing() {
    Command command = Command.of("e2fsck", "-fy", "/x");

    assertThat(ToolUser.ROOT.confine(command, Path.of("/x"))).isSameAs(command);
    assertThat(ToolUser.ROOT.deviceName(Path.of("/x"))).isEqualTo("/x");
  }
}

package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.FakePosix;
import dev.hearth.core.testing.FakeRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BuildLeftovers} on a /proc of the test's own making, with a fake umount. */
class BuildLeftoversTest {
  @TempDir Path dir;

  private final FakeRunner runner = new FakeRunner();
  private final FakePosix posix = new FakePosix(0, 0);

  @Test
  void sweepUnmountsWhatIsMountedUnderTheFolderNewestFirst() throws Exception {
    Path proc = dir.resolve("proc2");
    Files.createDirectories(proc);
    Path tree = Files.createDirectories(dir.resolve("st/tree")).toRealPath();
    Files.writeString(
        proc.resolve("mounts"),
        "proc "
            + tree
            + "/proc proc rw 0 0\n"
            + "udev "
            + tree
            + "/dev devtmpfs rw 0 0\n"
            + "udev /dev devtmpfs rw 0 0\n");
    runner.on(
        List.of("umount"),
        c -> {
          try {
            String mounts = Files.readString(proc.resolve("mounts"));
            String point = c.argv().get(2);
            Files.writeString(
                proc.resolve("mounts"),
                mounts
                    .lines()
                    .filter(l -> !l.contains(" " + point + " "))
                    .map(l -> l + "\n")
                    .reduce("", String::concat));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          return FakeRunner.result(c, 0, "", "");
        });
    new BuildLeftovers(proc, runner, posix).sweep(dir.resolve("st"));
    assertThat(runner.argvs())
        .containsExactly(
            List.of("umount", "-l", tree + "/dev"), List.of("umount", "-l", tree + "/proc"));
    assertThat(Files.readString(proc.resolve("mounts"))).isEqualTo("udev /dev devtmpfs rw 0 0\n");
  }

  @Test
  void sweepRefusesWhenAMountStays() throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc3"));
    Path tree = Files.createDirectories(dir.resolve("st/tree")).toRealPath();
    Files.writeString(proc.resolve("mounts"), "proc " + tree + "/proc proc rw 0 0\n");
    assertThatThrownBy(() -> new BuildLeftovers(proc, runner, posix).sweep(dir.resolve("st")))
        .isInstanceOf(ImageBuildException.class)
        .hasMessageContaining(tree + "/proc");
  }
}

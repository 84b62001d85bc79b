package dev.hearth.dmsnap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.LinuxHostProbe;
import dev.hearth.core.testing.FakeRunner;
import dev.hearth.dmsnap.ReflinkProbe.Reflink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real reflink probe on this machine's filesystem, with a fake runner for cp. */
class CpReflinkProbeTest {
  @TempDir Path dir;

  private final FakeRunner runner = new FakeRunner();

  @Test
  void reflinkTriesCpInTheFolderAndCleansUp() throws Exception {
    Path cp = Files.createFile(dir.resolve("cp"));
    Files.setPosixFilePermissions(cp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path state = Files.createDirectory(dir.resolve("state"));
    runner.on(
        List.of(cp.toString()),
        1,
        "",
        "cp: failed to clone '"
            + state
            + "/a.copy' from '"
            + state
            + "/a': Operation not supported\n");
    ReflinkProbe probe = ReflinkProbe.cp(runner, new LinuxHostProbe(dir.toString()));

    Reflink reflink = probe.tryReflink(state);

    assertThat(reflink.supported()).isFalse();
    assertThat(reflink.detail())
        .isEqualTo("cp --reflink=always failed in " + state + ": Operation not supported");
    List<String> argv = runner.argvs().get(0);
    assertThat(argv.subList(0, 2)).containsExactly(cp.toString(), "--reflink=always");
    assertThat(Path.of(argv.get(2)).getParent()).isEqualTo(state);
    try (Stream<Path> left = Files.list(state)) {
      assertThat(left).isEmpty();
    }
  }
}

package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.Await;
import dev.hearth.core.testing.RequiresBinary;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresBinary("tar")
class SystemHostTarTest {
  @TempDir Path dir;
  private final SystemHostTar tar = new SystemHostTar();

  @Test
  void aPackedTreeKeepsContentAndModes() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("src/my tree/sub"));
    Path script = Files.writeString(tree.resolve("run.sh"), "echo hi\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
    Path into = Files.createDirectories(dir.resolve("into"));

    byte[] archive =
        Await.call(
            "tar to pack the tree",
            () -> {
              try (HostTar.Packing packing = tar.pack(dir.resolve("src"), "my tree");
                  InputStream in = packing.archive()) {
                byte[] packed = in.readAllBytes();
                packing.finish();
                return packed;
              }
            });
    // Read back by the host's tar here: the test's own archive, not a guest's.
    Process unpack =
        new ProcessBuilder("tar", "-x", "-p", "-f", "-", "-C", into.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (OutputStream in = unpack.getOutputStream()) {
      in.write(archive);
    }
    assertThat(unpack.waitFor(30, TimeUnit.SECONDS)).as("tar -x ended within 30 s").isTrue();
    assertThat(unpack.exitValue()).isZero();

    Path copied = into.resolve("my tree/sub/run.sh");
    assertThat(Files.readString(copied)).isEqualTo("echo hi\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copied)))
        .isEqualTo("rwxr-x---");
  }

  @Test
  void aFailureNamesTheCommandItsExitCodeAndStderr() {
    assertThatThrownBy(
            () ->
                Await.call(
                    "tar -c of a missing file to fail",
                    () -> {
                      try (HostTar.Packing packing = tar.pack(dir, "missing");
                          InputStream in = packing.archive()) {
                        in.readAllBytes();
                        packing.finish();
                      }
                      return null;
                    }))
        .isInstanceOf(HostTar.HostTarException.class)
        .hasMessageContaining("tar -c -f - -C " + dir + " -- missing")
        .hasMessageContaining("exit code 2")
        .hasMessageContaining("tar:");
  }
}

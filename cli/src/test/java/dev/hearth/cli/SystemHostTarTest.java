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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresBinary("tar")
class SystemHostTarTest {
  @TempDir Path dir;
  private final SystemHostTar tar = new SystemHostTar();

  @Test
  void aTreePackedAndUnpackedKeepsContentAndModes() throws Exception {
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
    Await.call(
        "tar to unpack the tree",
        () -> {
          try (HostTar.Unpacking unpacking = tar.unpack(into)) {
            try (OutputStream out = unpacking.archive()) {
              out.write(archive);
            }
            unpacking.finish();
          }
          return null;
        });

    Path copied = into.resolve("my tree/sub/run.sh");
    assertThat(Files.readString(copied)).isEqualTo("echo hi\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copied)))
        .isEqualTo("rwxr-x---");
  }

  @Test
  void aFailureNamesTheCommandItsExitCodeAndStderr() throws Exception {
    try (HostTar.Unpacking unpacking = tar.unpack(dir)) {
      unpacking.archive().write("not an archive at all".repeat(40).getBytes());
      assertThatThrownBy(
              () ->
                  Await.call(
                      "tar -x of garbage to fail",
                      () -> {
                        unpacking.finish();
                        return null;
                      }))
          .isInstanceOf(HostTar.HostTarException.class)
          .hasMessageContaining("tar -x -p --no-same-owner -f - -C " + dir)
          .hasMessageContaining("exit code 2")
          .hasMessageContaining("tar:");
    }
  }
}

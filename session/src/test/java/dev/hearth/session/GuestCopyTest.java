package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.testing.RequiresBinary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy scripts run by the local {@code /bin/sh} and tar, as a guest would run them. */
@RequiresBinary({"sh", "tar"})
class GuestCopyTest {
  @TempDir Path dir;
  @TempDir Path logs;

  record Result(int exit, byte[] stdout, String stderr) {}

  @Test
  void aFilePackedOnOneSideIsUnpackedUnderANewNameOnTheOther() throws Exception {
    Path source = Files.writeString(dir.resolve("notes.txt"), "hello\n");
    Result packed = run(GuestCopy.pack(source.toString()), new byte[0]);
    assertThat(packed.exit()).as(packed.stderr()).isZero();

    Path target = dir.resolve("copy.txt");
    Result unpacked = run(GuestCopy.unpack(target.toString(), "notes.txt"), packed.stdout());

    assertThat(unpacked.exit()).as(unpacked.stderr()).isZero();
    assertThat(target).hasContent("hello");
    try (var left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("notes.txt", "copy.txt");
    }
  }

  @Test
  void anExistingFolderReceivesTheEntryInsideIt() throws Exception {
    Path source = Files.writeString(dir.resolve("a.txt"), "a");
    Path folder = Files.createDirectory(dir.resolve("into"));
    byte[] tar = run(GuestCopy.pack(source.toString()), new byte[0]).stdout();

    assertThat(run(GuestCopy.unpack(folder.toString(), "a.txt"), tar).exit()).isZero();
    assertThat(folder.resolve("a.txt")).hasContent("a");
  }

  @Test
  void missingPathsAndAFolderOntoAFileEndWithTheirExitCodes() throws Exception {
    Result missing = run(GuestCopy.pack(dir.resolve("nope").toString()), new byte[0]);
    assertThat(missing.exit()).isEqualTo(GuestCopy.SOURCE_MISSING);
    assertThat(missing.stderr()).contains("no such file or folder: " + dir.resolve("nope"));

    Path folder = Files.createDirectory(dir.resolve("folder"));
    byte[] tar = run(GuestCopy.pack(folder.toString()), new byte[0]).stdout();
    Result noParent = run(GuestCopy.unpack(dir.resolve("x/y").toString(), "folder"), tar);
    assertThat(noParent.exit()).isEqualTo(GuestCopy.DESTINATION_MISSING);

    Path file = Files.writeString(dir.resolve("file"), "f");
    Result wrongKind = run(GuestCopy.unpack(file.toString(), "folder"), tar);
    assertThat(wrongKind.exit()).isEqualTo(GuestCopy.WRONG_KIND);
    assertThat(file).hasContent("f");
  }

  @Test
  void anEntryNameMustBeOneFileName() {
    for (String name : List.of("", ".", "..", "a/b", "a\0b")) {
      assertThatThrownBy(() -> GuestCopy.unpack("/tmp/x", name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("one file name");
    }
    assertThatThrownBy(() -> GuestCopy.pack(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-empty");
  }

  private Result run(ExecRequest request, byte[] stdin) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(request.argv()).redirectError(logs.resolve("stderr").toFile()).start();
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    Thread reader =
        new Thread(
            () -> {
              try (InputStream in = process.getInputStream()) {
                in.transferTo(stdout);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    reader.start();
    try (var in = process.getOutputStream()) {
      in.write(stdin);
    } catch (IOException notRead) {
      // The script ended before reading its input (a refused destination).
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the copy script did not end within 60 s: " + request.argv());
    }
    reader.join();
    return new Result(
        process.exitValue(),
        stdout.toByteArray(),
        Files.readString(logs.resolve("stderr"), StandardCharsets.UTF_8));
  }
}

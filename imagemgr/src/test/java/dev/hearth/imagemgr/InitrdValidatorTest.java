package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitrdValidatorTest {
  @TempDir Path dir;

  @Test
  void recognisesTheUsualFormats() throws Exception {
    assertThat(format(new byte[] {0x1f, (byte) 0x8b, 8, 0})).isEqualTo(InitrdInfo.Format.GZIP);
    assertThat(format(VmlinuxExtractor.XZ_MAGIC)).isEqualTo(InitrdInfo.Format.XZ);
    assertThat(format(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0}))
        .isEqualTo(InitrdInfo.Format.ZSTD);
    assertThat(format("070701000000".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(InitrdInfo.Format.CPIO);
  }

  @Test
  void refusesAnUnknownFormatNamingTheFileAndItsFirstBytes() throws Exception {
    // Before issue 12 an unknown initrd was only noted: `image register --initrd KEY` copied any
    // root-readable file (the daemon's SSH private key) into an image.
    Path key =
        TestFiles.write(
            dir.resolve("id_ed25519"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII));

    assertThatThrownBy(() -> InitrdValidator.validate(key))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageStartingWith(key + ": not an initrd: it starts with bytes 2d 2d 2d 2d 2d 42,")
        .hasMessageContaining("cpio");
  }

  @Test
  void refusesAnEmptyFileAndAFolder() throws Exception {
    Path empty = TestFiles.write(dir.resolve("empty"), new byte[0]);

    assertThatThrownBy(() -> InitrdValidator.validate(empty))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessage(empty + ": the initrd is empty");
    assertThatThrownBy(() -> InitrdValidator.validate(dir)).hasMessageContaining("is a folder");
  }

  private InitrdInfo.Format format(byte[] bytes) throws Exception {
    Path file = TestFiles.write(dir.resolve("initrd"), bytes);
    InitrdInfo info = InitrdValidator.validate(file);
    assertThat(info.size()).isEqualTo(bytes.length);
    return info.format();
  }
}

package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsValidatorTest {
  @TempDir Path dir;

  @Test
  @RequiresBinary({"mkfs.ext4", "truncate"})
  void acceptsARealExt4Image() throws Exception {
    Path file =
        TestFiles.mkfs(TestFiles.realRunner(), "mkfs.ext4", dir.resolve("root.ext4"), 16 << 20);

    RootfsInfo info = RootfsValidator.validate(file);

    assertThat(info.label()).isEqualTo("testroot");
    assertThat(info.size()).isEqualTo(16 << 20);
    assertThat(info.filesystemSize()).isEqualTo(16 << 20);
    assertThat(info.incompatFeatures() & RootfsValidator.INCOMPAT_EXTENTS).isNotZero();
  }

  @Test
  @RequiresBinary({"mkfs.ext2", "truncate"})
  void refusesAnExt2ImageSayingHowToMakeItExt4() throws Exception {
    Path file =
        TestFiles.mkfs(TestFiles.realRunner(), "mkfs.ext2", dir.resolve("old.ext2"), 8 << 20);

    assertThatThrownBy(() -> RootfsValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("ext2/ext3 image: make it ext4")
        .hasMessageContaining("tune2fs -O extents,uninit_bg,dir_index")
        .hasMessageContaining("mkfs.ext4");
  }

  @Test
  @RequiresBinary({"mkfs.ext4", "truncate"})
  void refusesAnExt4ImageCutShort() throws Exception {
    Runner runner = TestFiles.realRunner();
    Path file = TestFiles.mkfs(runner, "mkfs.ext4", dir.resolve("cut.ext4"), 16 << 20);
    runner.check(Command.of("truncate", "-s", "4M", file.toString()));

    assertThatThrownBy(() -> RootfsValidator.validate(file))
        .hasMessageContaining("truncated ext4 image: the filesystem spans 16777216 bytes")
        .hasMessageContaining("4194304");
  }

  @Test
  void tellsExt4FromExt2ByFeatureFlags() throws Exception {
    assertThat(RootfsValidator.validate(TestFiles.fakeExt(dir.resolve("a"), 0x40)).blockSize())
        .isEqualTo(1024);
    assertThat(RootfsValidator.validate(TestFiles.fakeExt(dir.resolve("b"), 0x200)).blockSize())
        .isEqualTo(1024);
    assertThatThrownBy(() -> RootfsValidator.validate(TestFiles.fakeExt(dir.resolve("c"), 0x2)))
        .hasMessageContaining("ext2/ext3 image");
  }

  @Test
  void refusesRandomBytes() throws Exception {
    Path file = TestFiles.write(dir.resolve("noise"), TestFiles.random(64 * 1024, 3));

    assertThatThrownBy(() -> RootfsValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("no ext4 superblock")
        .hasMessageContaining("at byte 1080");
  }

  @Test
  void refusesATenByteFileAndAFolder() throws Exception {
    Path tiny = TestFiles.write(dir.resolve("tiny"), new byte[10]);

    assertThatThrownBy(() -> RootfsValidator.validate(tiny))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining(tiny.toString())
        .hasMessageContaining("too small for an ext4 filesystem (10 bytes");
    assertThatThrownBy(() -> RootfsValidator.validate(dir))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("is a folder, not a rootfs file");
  }
}

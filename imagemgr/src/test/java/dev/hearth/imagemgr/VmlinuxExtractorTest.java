package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.core.Command;
import dev.hearth.core.Runner;
import dev.hearth.core.testing.RequiresBinary;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresBinary("xz")
class VmlinuxExtractorTest {
  @TempDir Path dir;
  private final Runner runner = TestFiles.realRunner();
  private final VmlinuxExtractor extractor = new VmlinuxExtractor(runner);

  @Test
  void extractsTheElfFromTheXzStreamAndReportsThePvhNote() throws Exception {
    byte[] elf = TestFiles.x86Elf(true);
    Path bzImage = fakeBzImage(elf, true);
    Path vmlinux = dir.resolve("out/vmlinux");
    Files.createDirectories(vmlinux.getParent());

    KernelInfo info = extractor.extract(bzImage, vmlinux);

    assertThat(Files.readAllBytes(vmlinux)).isEqualTo(elf);
    assertThat(info.file()).isEqualTo(vmlinux);
    assertThat(info.hasPvhNote()).isTrue();
    assertThat(info.type()).isEqualTo(KernelInfo.ElfType.EXEC);
    // Only the result is left: no temporary files beside it.
    try (var files = Files.list(vmlinux.getParent())) {
      assertThat(files).containsExactly(vmlinux);
    }
  }

  @Test
  void reportsAKernelWithoutThePvhNote() throws Exception {
    Path bzImage = fakeBzImage(TestFiles.x86Elf(false), false);

    KernelInfo info = extractor.extract(bzImage, dir.resolve("vmlinux"));

    assertThat(info.hasPvhNote()).isFalse();
  }

  @Test
  void refusesAStreamThatIsNotAnX86Elf() throws Exception {
    Path bzImage = fakeBzImage(TestFiles.elf(2, 183, 2, true), false);
    Path vmlinux = dir.resolve("vmlinux");

    assertThatThrownBy(() -> extractor.extract(bzImage, vmlinux))
        .isInstanceOf(KernelExtractionException.class)
        .hasMessageContaining(bzImage.toString())
        .hasMessageContaining("AArch64");
    assertThat(vmlinux).doesNotExist();
  }

  @Test
  void refusesABzImageWithoutAnXzStream() throws Exception {
    Path bzImage = TestFiles.write(dir.resolve("vmlinuz"), TestFiles.bzImage(new byte[4096]));

    assertThatThrownBy(() -> extractor.extract(bzImage, dir.resolve("vmlinux")))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("no xz stream (FD 37 7A 58 5A 00)");
  }

  @Test
  void refusesRandomBytesAndAFolder() throws Exception {
    Path noise = TestFiles.write(dir.resolve("noise"), TestFiles.random(16384, 5));

    assertThatThrownBy(() -> extractor.extract(noise, dir.resolve("vmlinux")))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining(noise.toString())
        .hasMessageContaining("not a bzImage");
    assertThatThrownBy(() -> extractor.extract(dir, dir.resolve("vmlinux")))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("is a folder");
  }

  @Test
  void findsTheMagicAcrossTheScanSeam() throws Exception {
    byte[] bytes = new byte[(1 << 20) + 10];
    System.arraycopy(VmlinuxExtractor.XZ_MAGIC, 0, bytes, (1 << 20) - 3, 6);
    System.arraycopy(VmlinuxExtractor.XZ_MAGIC, 0, bytes, 17, 6);
    Path file = TestFiles.write(dir.resolve("seam"), bytes);

    assertThat(VmlinuxExtractor.xzStreamOffsets(file)).containsExactly(17L, (1L << 20) - 3);
  }

  /**
   * Setup bytes with "HdrS", optionally a false xz magic (not a stream), the xz-compressed ELF,
   * then trailing bytes, as in a real bzImage.
   */
  private Path fakeBzImage(byte[] elf, boolean falseMagicFirst) throws Exception {
    Path elfFile = TestFiles.write(dir.resolve("payload.elf"), elf);
    runner.check(Command.of("xz", "--check=crc32", "--keep", "--force", elfFile.toString()));
    byte[] xz = Files.readAllBytes(dir.resolve("payload.elf.xz"));
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    payload.writeBytes(new byte[300]);
    if (falseMagicFirst) {
      payload.writeBytes(VmlinuxExtractor.XZ_MAGIC);
      payload.writeBytes(TestFiles.random(200, 9));
    }
    payload.writeBytes(xz);
    payload.writeBytes(TestFiles.random(1000, 11));
    return TestFiles.write(dir.resolve("vmlinuz"), TestFiles.bzImage(payload.toByteArray()));
  }
}

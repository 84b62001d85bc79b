package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelValidatorTest {
  @TempDir Path dir;

  @Test
  void acceptsAnX86ElfAndFindsThePvhNote() throws Exception {
    Path file = TestFiles.write(dir.resolve("vmlinux"), TestFiles.x86Elf(true));

    KernelInfo info = KernelValidator.validate(file);

    assertThat(info.type()).isEqualTo(KernelInfo.ElfType.EXEC);
    assertThat(info.entry()).isEqualTo(TestFiles.ENTRY);
    assertThat(info.hasPvhNote()).isTrue();
    assertThat(info.size()).isEqualTo(Files.size(file));
  }

  @Test
  void acceptsADynKernelWithoutPvhNote() throws Exception {
    Path file = TestFiles.write(dir.resolve("vmlinux"), TestFiles.elf(2, 62, 3, false));

    KernelInfo info = KernelValidator.validate(file);

    assertThat(info.type()).isEqualTo(KernelInfo.ElfType.DYN);
    assertThat(info.hasPvhNote()).isFalse();
  }

  @Test
  void refusesAnElfWhoseHeaderIsCutShort() throws Exception {
    byte[] elf = Arrays.copyOf(TestFiles.x86Elf(true), 40);
    Path file = TestFiles.write(dir.resolve("short"), elf);

    assertThatThrownBy(() -> KernelValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("truncated ELF")
        .hasMessageContaining("40");
  }

  @Test
  void refusesAnElfWhoseProgramHeadersAreCutShort() throws Exception {
    Path file = TestFiles.write(dir.resolve("short"), Arrays.copyOf(TestFiles.x86Elf(true), 100));

    assertThatThrownBy(() -> KernelValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("truncated ELF: the program headers end at byte 176");
  }

  @Test
  void refusesA32BitElf() throws Exception {
    Path file = TestFiles.write(dir.resolve("k32"), TestFiles.elf(1, 62, 2, false));

    assertThatThrownBy(() -> KernelValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("32-bit ELF");
  }

  @Test
  void refusesAnArmElf() throws Exception {
    Path file = TestFiles.write(dir.resolve("arm"), TestFiles.elf(2, 183, 2, true));

    assertThatThrownBy(() -> KernelValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("machine 183 (AArch64), not x86-64");
  }

  @Test
  void refusesARelocatableObject() throws Exception {
    Path file = TestFiles.write(dir.resolve("obj.o"), TestFiles.elf(2, 62, 1, false));

    assertThatThrownBy(() -> KernelValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("ELF type 1 is not an executable");
  }

  @Test
  void refusesABigEndianElf() throws Exception {
    byte[] elf = TestFiles.x86Elf(false);
    elf[5] = 2;
    Path file = TestFiles.write(dir.resolve("be"), elf);

    assertThatThrownBy(() -> KernelValidator.validate(file)).hasMessageContaining("big-endian");
  }

  @Test
  void recognisesABzImageAndSaysHowToExtractVmlinux() throws Exception {
    Path file = TestFiles.write(dir.resolve("vmlinuz"), TestFiles.bzImage(new byte[4096]));

    assertThatThrownBy(() -> KernelValidator.validate(file))
        .isInstanceOf(CompressedKernelException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("bzImage")
        .hasMessageContaining("extract-vmlinux")
        .hasMessageContaining("--extract-kernel");
  }

  @Test
  void refusesRandomBytesNamingTheirStart() throws Exception {
    byte[] bytes = TestFiles.random(8192, 1);
    bytes[0] = 0x12;
    bytes[1] = 0x34;
    bytes[2] = 0x56;
    bytes[3] = 0x78;
    Path file = TestFiles.write(dir.resolve("noise"), bytes);

    assertThatThrownBy(() -> KernelValidator.validate(file))
        .isInstanceOf(InvalidImageFileException.class)
        .isNotInstanceOf(CompressedKernelException.class)
        .hasMessageContaining("not an ELF vmlinux (the file starts with 12 34 56 78)");
  }

  @Test
  void refusesAnEmptyFileAFolderAndAMissingFile() throws Exception {
    Path empty = TestFiles.write(dir.resolve("empty"), new byte[0]);

    assertThatThrownBy(() -> KernelValidator.validate(empty)).hasMessageContaining("it is empty");
    assertThatThrownBy(() -> KernelValidator.validate(dir))
        .isInstanceOf(InvalidImageFileException.class)
        .hasMessageContaining("is a folder");
    assertThatThrownBy(() -> KernelValidator.validate(dir.resolve("absent")))
        .hasMessageContaining("no such kernel file");
  }

  @Test
  void findsThePvhNoteAmongOthers() {
    byte[] gnu = TestFiles.note("GNU", 3, new byte[] {1, 2, 3, 4, 5});
    byte[] xen = TestFiles.note("Xen", 18, new byte[] {0, 0, 0, 1});
    ByteBuffer both = ByteBuffer.allocate(gnu.length + xen.length).order(ByteOrder.LITTLE_ENDIAN);
    both.put(gnu).put(xen).flip();

    assertThat(KernelValidator.hasPvhNote(both)).isTrue();
    assertThat(KernelValidator.hasPvhNote(ByteBuffer.wrap(gnu).order(ByteOrder.LITTLE_ENDIAN)))
        .isFalse();
    // Xen's other notes (type 1 here) are not the PVH entry.
    byte[] otherXen = TestFiles.note("Xen", 1, new byte[] {0, 0, 0, 1});
    assertThat(KernelValidator.hasPvhNote(ByteBuffer.wrap(otherXen).order(ByteOrder.LITTLE_ENDIAN)))
        .isFalse();
  }
}

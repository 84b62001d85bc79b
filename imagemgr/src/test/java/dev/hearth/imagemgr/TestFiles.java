package dev.hearth.imagemgr;

import dev.hearth.core.Clock;
import dev.hearth.core.Command;
import dev.hearth.core.Posix;
import dev.hearth.core.ProcessRunner;
import dev.hearth.core.Runner;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Hand-made image files for tests: tiny ELF kernels, fake bzImages, ext superblocks. */
final class TestFiles {
  static final long ENTRY = 0x1000000L;

  private TestFiles() {}

  static Runner realRunner() {
    return new ProcessRunner(Posix.system(), Clock.system());
  }

  /** A minimal x86-64 ELF64 executable: header, PT_LOAD and PT_NOTE program headers, a note. */
  static byte[] elf(int elfClass, int machine, int type, boolean pvhNote) {
    int phnum = 2;
    int notesOffset = 64 + phnum * 56;
    byte[] note = note(pvhNote ? "Xen" : "GNU", pvhNote ? 18 : 3, new byte[] {0, 0, 0, 1});
    byte[] payload = "a tiny kernel payload".getBytes(StandardCharsets.US_ASCII);
    int total = notesOffset + note.length + payload.length;
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) elfClass, 1, 1, 0});
    b.position(16);
    b.putShort((short) type).putShort((short) machine).putInt(1);
    b.putLong(ENTRY).putLong(64).putLong(0).putInt(0);
    b.putShort((short) 64).putShort((short) 56).putShort((short) phnum);
    b.putShort((short) 64).putShort((short) 0).putShort((short) 0);
    // PT_LOAD covering the file
    b.putInt(1).putInt(5).putLong(0).putLong(ENTRY).putLong(ENTRY);
    b.putLong(total).putLong(total).putLong(0x1000);
    // PT_NOTE
    b.putInt(4).putInt(4).putLong(notesOffset).putLong(0).putLong(0);
    b.putLong(note.length).putLong(note.length).putLong(4);
    b.put(note).put(payload);
    return b.array();
  }

  static byte[] x86Elf(boolean pvhNote) {
    return elf(2, 62, 2, pvhNote);
  }

  static byte[] note(String name, int type, byte[] desc) {
    byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
    int nameLen = (nameBytes.length + 3) & ~3;
    int descLen = (desc.length + 3) & ~3;
    ByteBuffer b = ByteBuffer.allocate(12 + nameLen + descLen).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(nameBytes.length).putInt(desc.length).putInt(type);
    b.put(nameBytes).position(12 + nameLen).put(desc);
    return b.array();
  }

  /** A boot sector with "HdrS" at 0x202, followed by {@code payload}. */
  static byte[] bzImage(byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] setup = random(0x400, 7);
    System.arraycopy("HdrS".getBytes(StandardCharsets.US_ASCII), 0, setup, 0x202, 4);
    out.writeBytes(setup);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  static Path write(Path file, byte[] bytes) throws Exception {
    Files.write(file, bytes);
    return file;
  }

  /**
   * A hand-made ext superblock: 2 blocks of 1 KiB, with the given incompat features. Enough for the
   * validator, not for the kernel.
   */
  static Path fakeExt(Path file, int incompatFeatures) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(2048).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(1024 + 0x04, 2);
    b.putInt(1024 + 0x18, 0);
    b.putShort(1024 + 0x38, (short) 0xEF53);
    b.putInt(1024 + 0x60, incompatFeatures);
    return write(file, b.array());
  }

  /** A sparse file of {@code bytes} with an ext filesystem made by {@code mkfs} in it. */
  static Path mkfs(Runner runner, String mkfs, Path file, long bytes) throws Exception {
    runner.check(Command.of("truncate", "-s", Long.toString(bytes), file.toString()));
    runner.check(Command.of(mkfs, "-q", "-F", "-L", "testroot", file.toString()));
    return file;
  }
}

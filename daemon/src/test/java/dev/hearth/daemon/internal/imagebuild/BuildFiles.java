package dev.hearth.daemon.internal.imagebuild;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Files an image build produces, small and hand-made: enough for the validators. */
public final class BuildFiles {
  private BuildFiles() {}

  /** A hand-made ext4 superblock (extents, filetype, flex_bg): enough for the validator. */
  public static byte[] ext4() {
    ByteBuffer b = ByteBuffer.allocate(2048).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(1024 + 0x04, 2);
    b.putShort(1024 + 0x38, (short) 0xEF53);
    b.putInt(1024 + 0x60, 0x242);
    return b.array();
  }

  /** A minimal x86-64 ELF64 executable with a PT_LOAD and a PVH note. */
  public static byte[] x86Elf() {
    long entry = 0x1000000L;
    int notesOffset = 64 + 2 * 56;
    byte[] name = "Xen\0".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer note = ByteBuffer.allocate(12 + 4 + 4).order(ByteOrder.LITTLE_ENDIAN);
    note.putInt(name.length).putInt(4).putInt(18).put(name).put(new byte[] {0, 0, 0, 1});
    byte[] payload = "a tiny kernel payload".getBytes(StandardCharsets.US_ASCII);
    int total = notesOffset + note.capacity() + payload.length;
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    b.position(16);
    b.putShort((short) 2).putShort((short) 62).putInt(1);
    b.putLong(entry).putLong(64).putLong(0).putInt(0);
    b.putShort((short) 64).putShort((short) 56).putShort((short) 2);
    b.putShort((short) 64).putShort((short) 0).putShort((short) 0);
    b.putInt(1).putInt(5).putLong(0).putLong(entry).putLong(entry);
    b.putLong(total).putLong(total).putLong(0x1000);
    b.putInt(4).putInt(4).putLong(notesOffset).putLong(0).putLong(0);
    b.putLong(note.capacity()).putLong(note.capacity()).putLong(4);
    b.put(note.array()).put(payload);
    return b.array();
  }
}

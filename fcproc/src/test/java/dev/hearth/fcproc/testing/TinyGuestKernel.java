package dev.hearth.fcproc.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A guest kernel of a few hundred bytes for real-QEMU tests: an x86-64 ELF with a PVH entry note
 * (as QEMU's microvm boots a vmlinux) whose 32-bit code prints {@link #UP_LINE} on the serial port
 * (COM1) and then either halts for good or resets the machine with a triple fault (QEMU with {@code
 * -no-reboot} then exits 0, as after a guest reboot). The reset is for TCG: KVM reports the triple
 * fault as an internal error instead.
 */
public final class TinyGuestKernel {
  /** What the guest prints on its console. */
  public static final String UP_LINE = "hearth tiny guest: up";

  /** What the guest does after printing. */
  public enum Ending {
    HALT,
    RESET
  }

  private static final int BASE = 0x100000;
  private static final int CODE_OFFSET = 200;
  private static final int NOTE_OFFSET = 176;
  private static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

  private TinyGuestKernel() {}

  /** Writes the kernel to {@code file}. */
  public static Path write(Path file, Ending ending) {
    try {
      return Files.write(file, build(ending));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the tiny guest kernel " + file, e);
    }
  }

  static byte[] build(Ending ending) {
    byte[] message = (UP_LINE + "\n\0").getBytes(StandardCharsets.US_ASCII);
    // mov dx, 0x3f8; mov esi, <message>; then: lodsb; test al, al; jz +3; out dx, al; jmp -8
    byte[] head = {0x66, (byte) 0xBA, (byte) 0xF8, 0x03, (byte) 0xBE};
    byte[] loop = {
      (byte) 0xAC, (byte) 0x84, (byte) 0xC0, 0x74, 0x03, (byte) 0xEE, (byte) 0xEB, (byte) 0xF8
    };
    // HALT: cli; hlt; jmp -4.  RESET: lidt [<zero descriptor>]; int3 (no IDT: triple fault); jmp $
    int tailLength = ending == Ending.HALT ? 4 : 10;
    int codeLength = head.length + 4 + loop.length + tailLength;
    int messageAddress = BASE + CODE_OFFSET + codeLength;
    int zeroIdtAddress = messageAddress + message.length;
    int size = CODE_OFFSET + codeLength + message.length + 6;

    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    // ELF64 header: x86-64 executable, two program headers right after it.
    b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
    b.putShort((short) 2).putShort((short) 62).putInt(1);
    b.putLong(BASE + CODE_OFFSET).putLong(64).putLong(0).putInt(0);
    b.putShort((short) 64).putShort((short) 56).putShort((short) 2);
    b.putShort((short) 64).putShort((short) 0).putShort((short) 0);
    // PT_LOAD of the whole file at BASE (read + execute).
    b.putInt(1).putInt(5).putLong(0).putLong(BASE).putLong(BASE).putLong(size).putLong(size);
    b.putLong(0x1000);
    // PT_NOTE: the PVH entry point.
    b.putInt(4).putInt(4).putLong(NOTE_OFFSET).putLong(BASE + NOTE_OFFSET);
    b.putLong(BASE + NOTE_OFFSET).putLong(20).putLong(20).putLong(4);
    b.putInt(4).putInt(4).putInt(XEN_ELFNOTE_PHYS32_ENTRY).put(new byte[] {'X', 'e', 'n', 0});
    b.putInt(BASE + CODE_OFFSET);
    b.position(CODE_OFFSET);
    b.put(head).putInt(messageAddress).put(loop);
    if (ending == Ending.HALT) {
      b.put(new byte[] {(byte) 0xFA, (byte) 0xF4, (byte) 0xEB, (byte) 0xFC});
    } else {
      b.put(new byte[] {0x0F, 0x01, 0x1D}).putInt(zeroIdtAddress);
      b.put(new byte[] {(byte) 0xCC, (byte) 0xEB, (byte) 0xFE});
    }
    b.put(message).put(new byte[6]);
    return b.array();
  }
}

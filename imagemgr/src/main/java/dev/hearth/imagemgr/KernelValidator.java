package dev.hearth.imagemgr;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Checks that a kernel is what Firecracker boots: an uncompressed x86-64 ELF {@code vmlinux}. Reads
 * the ELF header, the program headers and the note segments only.
 */
public final class KernelValidator {
  static final int ELF_HEADER_SIZE = 64;
  static final int PROGRAM_HEADER_SIZE = 56;
  static final int EM_X86_64 = 62;
  static final int ET_EXEC = 2;
  static final int ET_DYN = 3;
  static final int PT_LOAD = 1;
  static final int PT_NOTE = 4;
  static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

  /** Where a bzImage's setup header carries "HdrS" (boot protocol 2.00 and later). */
  static final int BZIMAGE_MAGIC_OFFSET = 0x202;

  private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};
  private static final byte[] HDRS = "HdrS".getBytes(StandardCharsets.US_ASCII);
  // A kernel has a handful of program headers; more means a corrupt header, not a kernel.
  private static final int MAX_PROGRAM_HEADERS = 256;
  // Notes of a vmlinux are a few hundred bytes; cap what is read of one note segment.
  private static final int MAX_NOTE_BYTES = 64 * 1024;

  private KernelValidator() {}

  /**
   * Validates a kernel file.
   *
   * @throws CompressedKernelException when it is a bzImage, with how to extract vmlinux
   * @throws InvalidImageFileException naming the file and what is wrong otherwise
   */
  public static KernelInfo validate(Path file) {
    try (FileHeaders headers = FileHeaders.open(file, "kernel")) {
      return validate(headers);
    }
  }

  /**
   * Validates a kernel from a source: a path, or a file a client passed (read through its
   * descriptor, which stays open).
   *
   * @throws CompressedKernelException when it is a bzImage, with how to extract vmlinux
   * @throws InvalidImageFileException naming the file and what is wrong otherwise
   */
  public static KernelInfo validate(ImageSource source) {
    if (source instanceof ImageSource.Opened opened) {
      try (FileHeaders headers = FileHeaders.borrow(opened, "kernel")) {
        return validate(headers);
      }
    }
    return validate(((ImageSource.AtPath) source).path());
  }

  static KernelInfo validate(FileHeaders headers) {
    Path file = headers.file();
    ByteBuffer ident = headers.read(0, ELF_HEADER_SIZE);
    if (!startsWith(ident, ELF_MAGIC)) {
      if (isBzImage(headers)) {
        throw new CompressedKernelException(file);
      }
      throw new InvalidImageFileException(
          file, "not an ELF vmlinux (the file starts with " + hexStart(ident) + ")");
    }
    if (ident.limit() < ELF_HEADER_SIZE) {
      throw new InvalidImageFileException(
          file,
          "truncated ELF: the header needs "
              + ELF_HEADER_SIZE
              + " bytes but the file has "
              + ident.limit());
    }
    int elfClass = ident.get(4);
    if (elfClass != 2) {
      throw new InvalidImageFileException(
          file,
          (elfClass == 1 ? "32-bit ELF (ELFCLASS32)" : "ELF of unknown class " + elfClass)
              + ": Firecracker needs a 64-bit x86-64 vmlinux");
    }
    if (ident.get(5) != 1) {
      throw new InvalidImageFileException(
          file, "big-endian ELF: Firecracker needs a little-endian x86-64 vmlinux");
    }
    int type = Short.toUnsignedInt(ident.getShort(16));
    int machine = Short.toUnsignedInt(ident.getShort(18));
    if (machine != EM_X86_64) {
      throw new InvalidImageFileException(
          file,
          "ELF for machine "
              + machine
              + machineName(machine)
              + ", not x86-64 ("
              + EM_X86_64
              + "): this kernel is for another architecture");
    }
    if (type != ET_EXEC && type != ET_DYN) {
      throw new InvalidImageFileException(
          file, "ELF type " + type + " is not an executable (EXEC or DYN): not a vmlinux");
    }
    long entry = ident.getLong(24);
    long phoff = ident.getLong(32);
    int phentsize = Short.toUnsignedInt(ident.getShort(54));
    int phnum = Short.toUnsignedInt(ident.getShort(56));
    if (phnum == 0) {
      throw new InvalidImageFileException(file, "ELF without program headers: nothing to load");
    }
    if (phentsize != PROGRAM_HEADER_SIZE || phnum > MAX_PROGRAM_HEADERS) {
      throw new InvalidImageFileException(
          file, "corrupt ELF header: " + phnum + " program headers of " + phentsize + " bytes");
    }
    long tableEnd = phoff + (long) phnum * PROGRAM_HEADER_SIZE;
    if (phoff < 0 || tableEnd > headers.size()) {
      throw new InvalidImageFileException(
          file,
          "truncated ELF: the program headers end at byte "
              + tableEnd
              + " but the file has "
              + headers.size());
    }
    ByteBuffer table = headers.read(phoff, phnum * PROGRAM_HEADER_SIZE);
    boolean loadable = false;
    boolean pvh = false;
    for (int i = 0; i < phnum; i++) {
      int base = i * PROGRAM_HEADER_SIZE;
      int pType = table.getInt(base);
      long offset = table.getLong(base + 8);
      long fileSize = table.getLong(base + 32);
      if (pType == PT_LOAD) {
        loadable = true;
      }
      if ((offset < 0 || fileSize < 0 || offset + fileSize > headers.size())
          && (pType == PT_LOAD || pType == PT_NOTE)) {
        throw new InvalidImageFileException(
            file,
            "truncated ELF: segment "
                + i
                + " ends at byte "
                + (offset + fileSize)
                + " but the file has "
                + headers.size());
      }
      if (pType == PT_NOTE && !pvh) {
        pvh = hasPvhNote(headers.read(offset, (int) Math.min(fileSize, MAX_NOTE_BYTES)));
      }
    }
    if (!loadable) {
      throw new InvalidImageFileException(file, "ELF without a loadable segment (PT_LOAD)");
    }
    KernelInfo.ElfType elfType = type == ET_EXEC ? KernelInfo.ElfType.EXEC : KernelInfo.ElfType.DYN;
    return new KernelInfo(file, headers.size(), elfType, entry, pvh);
  }

  /** Walks the notes of one PT_NOTE segment looking for Xen's PHYS32_ENTRY note. */
  static boolean hasPvhNote(ByteBuffer notes) {
    int pos = 0;
    while (pos + 12 <= notes.limit()) {
      long nameSize = Integer.toUnsignedLong(notes.getInt(pos));
      long descSize = Integer.toUnsignedLong(notes.getInt(pos + 4));
      int type = notes.getInt(pos + 8);
      long nameStart = pos + 12L;
      long descStart = nameStart + align4(nameSize);
      long next = descStart + align4(descSize);
      if (next > notes.limit()) {
        return false;
      }
      if (type == XEN_ELFNOTE_PHYS32_ENTRY && nameSize == 4) {
        byte[] name = new byte[4];
        notes.get((int) nameStart, name);
        if (name[0] == 'X' && name[1] == 'e' && name[2] == 'n' && name[3] == 0) {
          return true;
        }
      }
      pos = (int) next;
    }
    return false;
  }

  static boolean isBzImage(FileHeaders headers) {
    return startsWith(headers.read(BZIMAGE_MAGIC_OFFSET, HDRS.length), HDRS);
  }

  private static long align4(long n) {
    return (n + 3) & ~3L;
  }

  private static boolean startsWith(ByteBuffer buffer, byte[] prefix) {
    if (buffer.limit() < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (buffer.get(i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String hexStart(ByteBuffer buffer) {
    if (buffer.limit() == 0) {
      return "nothing: it is empty";
    }
    byte[] start = new byte[Math.min(4, buffer.limit())];
    buffer.get(0, start);
    return HexFormat.ofDelimiter(" ").formatHex(start);
  }

  private static String machineName(int machine) {
    switch (machine) {
      case 3:
        return " (i386)";
      case 40:
        return " (ARM)";
      case 183:
        return " (AArch64)";
      case 243:
        return " (RISC-V)";
      default:
        return "";
    }
  }
}

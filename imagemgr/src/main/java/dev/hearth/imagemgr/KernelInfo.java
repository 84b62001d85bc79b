package dev.hearth.imagemgr;

import java.nio.file.Path;

/**
 * A kernel that passed validation: an x86-64 ELF executable.
 *
 * @param type {@code EXEC} or {@code DYN} (a relocatable kernel may be either)
 * @param entry the ELF entry point
 * @param hasPvhNote whether it carries the Xen PVH entry note ({@code XEN_ELFNOTE_PHYS32_ENTRY}),
 *     which Firecracker uses to boot it in PVH mode
 */
public record KernelInfo(Path file, long size, ElfType type, long entry, boolean hasPvhNote) {

  /** The ELF object types a kernel may have. */
  public enum ElfType {
    EXEC,
    DYN
  }
}

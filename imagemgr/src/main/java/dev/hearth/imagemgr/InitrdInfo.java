package dev.hearth.imagemgr;

import java.nio.file.Path;

/** An initrd that passed validation, with the format its first bytes suggest. */
public record InitrdInfo(Path file, long size, Format format) {

  /** What an initrd's first bytes say it is; {@code UNKNOWN} is refused by the validator. */
  public enum Format {
    GZIP,
    XZ,
    ZSTD,
    LZ4,
    CPIO,
    UNKNOWN
  }
}

package dev.hearth.imagemgr;

import java.nio.file.Path;

/**
 * A rootfs that passed validation: a file holding an ext4 filesystem.
 *
 * @param size the file's size in bytes
 * @param filesystemSize what the superblock says the filesystem spans (block count x block size)
 * @param label the volume label, empty when none
 */
public record RootfsInfo(
    Path file, long size, long filesystemSize, int blockSize, int incompatFeatures, String label) {}

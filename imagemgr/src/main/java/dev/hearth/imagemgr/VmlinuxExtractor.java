package dev.hearth.imagemgr;

import dev.hearth.core.Command;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Names;
import dev.hearth.core.Runner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Extracts the ELF {@code vmlinux} from an xz-compressed bzImage (what Debian ships as {@code
 * vmlinuz}), as the kernel tree's {@code scripts/extract-vmlinux} does: find the xz stream (bytes
 * {@code FD 37 7A 58 5A 00}) in the file, decompress it, and keep the result if it is an x86-64
 * ELF.
 *
 * <p>Decompression runs the host's {@code xz} through the {@link Runner}, reading and writing
 * files, so that neither the kernel nor its decompressed image is ever held in memory.
 */
public final class VmlinuxExtractor {
  static final byte[] XZ_MAGIC = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};

  // The payload's stream comes early; a few false matches in setup code are tried, not hundreds.
  private static final int MAX_CANDIDATES = 8;
  private static final int SCAN_CHUNK = 1 << 20;
  private static final Duration XZ_TIMEOUT = Duration.ofMinutes(5);

  private final Runner runner;

  public VmlinuxExtractor(Runner runner) {
    this.runner = runner;
  }

  /**
   * Writes the vmlinux inside {@code bzImage} to {@code vmlinux} (replaced if present; written to a
   * temporary file beside it first, so a failure leaves nothing there).
   *
   * @return the extracted kernel, validated, with whether it carries the PVH note Firecracker needs
   * @throws InvalidImageFileException when {@code bzImage} is not a bzImage or holds no xz stream
   * @throws KernelExtractionException when no xz stream in it decompresses to an x86-64 ELF
   * @throws InterruptedException when interrupted while {@code xz} runs (its output is removed)
   */
  public KernelInfo extract(Path bzImage, Path vmlinux) throws InterruptedException {
    List<Long> candidates;
    try (FileHeaders headers = FileHeaders.open(bzImage, "kernel")) {
      if (!KernelValidator.isBzImage(headers)) {
        throw new InvalidImageFileException(
            bzImage, "not a bzImage (no \"HdrS\" at byte 0x202): nothing to extract");
      }
      candidates = xzStreamOffsets(bzImage);
    }
    if (candidates.isEmpty()) {
      throw new InvalidImageFileException(
          bzImage,
          "no xz stream (FD 37 7A 58 5A 00) in this bzImage: it is compressed another way; use"
              + " the kernel tree's scripts/extract-vmlinux");
    }
    List<String> failures = new ArrayList<>();
    for (long offset : candidates) {
      KernelInfo kernel = tryCandidate(bzImage, offset, vmlinux, failures);
      if (kernel != null) {
        return kernel;
      }
    }
    throw new KernelExtractionException(
        "could not extract an x86-64 ELF vmlinux from "
            + bzImage
            + ": "
            + String.join("; ", failures));
  }

  private KernelInfo tryCandidate(Path bzImage, long offset, Path vmlinux, List<String> failures)
      throws InterruptedException {
    String base = "." + vmlinux.getFileName() + ".extract-" + Names.newId();
    Path compressed = vmlinux.resolveSibling(base + ".xz");
    Path decompressed = vmlinux.resolveSibling(base);
    try {
      copyTail(bzImage, offset, compressed);
      CommandResult result =
          runner.run(
              Command.builder("xz")
                  .args(
                      "--decompress",
                      "--single-stream",
                      "--force",
                      "--quiet",
                      "--",
                      compressed.toString())
                  .timeout(XZ_TIMEOUT)
                  .build());
      if (!result.ok()) {
        failures.add(
            "the xz stream at byte " + offset + " does not decompress: " + result.stderr().strip());
        return null;
      }
      KernelInfo kernel;
      try {
        kernel = KernelValidator.validate(decompressed);
      } catch (InvalidImageFileException e) {
        failures.add("the xz stream at byte " + offset + " holds " + e.problem());
        return null;
      }
      Files.move(
          decompressed,
          vmlinux,
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      return new KernelInfo(
          vmlinux, kernel.size(), kernel.type(), kernel.entry(), kernel.hasPvhNote());
    } catch (IOException e) {
      throw new KernelExtractionException(
          "extracting vmlinux from " + bzImage + " into " + vmlinux + " failed: " + e, e);
    } finally {
      deleteQuietly(compressed);
      deleteQuietly(decompressed);
    }
  }

  /** Offsets of the xz magic in the file, scanning it in chunks. */
  static List<Long> xzStreamOffsets(Path file) {
    List<Long> offsets = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(SCAN_CHUNK + XZ_MAGIC.length - 1);
      long position = 0;
      while (offsets.size() < MAX_CANDIDATES) {
        buffer.clear();
        int read = 0;
        while (buffer.hasRemaining()) {
          int n = channel.read(buffer, position + read);
          if (n < 0) {
            break;
          }
          read += n;
        }
        for (int i = 0; i + XZ_MAGIC.length <= read && offsets.size() < MAX_CANDIDATES; i++) {
          if (i < SCAN_CHUNK && matchesAt(buffer, i)) {
            offsets.add(position + i);
          }
        }
        if (read < buffer.capacity()) {
          break;
        }
        // The chunks overlap by the magic's length minus one, so a match across a seam is found
        // once.
        position += SCAN_CHUNK;
      }
    } catch (IOException e) {
      throw new InvalidImageFileException(file, "cannot read the kernel: " + e.getMessage());
    }
    return offsets;
  }

  private static boolean matchesAt(ByteBuffer buffer, int at) {
    for (int j = 0; j < XZ_MAGIC.length; j++) {
      if (buffer.get(at + j) != XZ_MAGIC[j]) {
        return false;
      }
    }
    return true;
  }

  private static void copyTail(Path from, long offset, Path to) throws IOException {
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
        FileChannel out =
            FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long size = in.size();
      long done = 0;
      while (offset + done < size) {
        done += in.transferTo(offset + done, size - offset - done, out);
      }
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // A leftover hidden temporary file beside the target is harmless; the caller's error wins.
    }
  }
}

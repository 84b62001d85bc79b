package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSourceTest {
  @TempDir Path dir;

  @Test
  void aDetachedCopyHasTheFilesBytesOutlivesItsDescriptorAndLeavesNoFile() throws Exception {
    // Head, a 64 MiB hole, tail: the copy reads as the file does and keeps the hole a hole.
    Path file = dir.resolve("vmlinux");
    long size = (64L << 20) + 8;
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.write("head".getBytes(StandardCharsets.US_ASCII));
      raf.setLength(size - 4);
      raf.seek(size - 4);
      raf.write("tail".getBytes(StandardCharsets.US_ASCII));
    }
    ImageSource.Opened passed =
        new ImageSource.Opened("vmlinux", FileChannel.open(file, StandardOpenOption.READ));
    Path folder = dir.resolve("staging");

    ImageSource.Opened copy = passed.detachedCopy(folder);
    try {
      assertThat(passed.channel().isOpen()).as("the passed descriptor").isFalse();
      assertThat(copy.label()).isEqualTo("vmlinux");
      try (Stream<Path> left = Files.list(folder)) {
        assertThat(left).as("the copy is unlinked at once").isEmpty();
      }
      Files.delete(file); // the copy does not depend on the original
      assertThat(copy.channel().size()).isEqualTo(size);
      assertThat(read(copy.channel(), 0, 4)).isEqualTo("head");
      assertThat(read(copy.channel(), size / 2, 4)).isEqualTo("\0\0\0\0");
      assertThat(read(copy.channel(), size - 4, 4)).isEqualTo("tail");
    } finally {
      copy.close();
    }
    assertThat(copy.channel().isOpen()).isFalse();
  }

  private static String read(FileChannel channel, long position, int length) throws Exception {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) > 0) {
      // until the buffer is full
    }
    return new String(buffer.array(), 0, buffer.position(), StandardCharsets.ISO_8859_1);
  }
}

package dev.hearth.imagemgr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hearth.core.FileExtents;
import dev.hearth.core.Posix;
import dev.hearth.core.testing.FakePosix;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sha256 of a file is that of all its bytes, whether holes are read or skipped. */
class FileDigestTest {
  private static final int SIZE = 64 << 20;

  @TempDir Path dir;

  /** A sparse file: data at the start, in the middle and at the very end, holes between. */
  private Path sparse(Path file, byte[] content) throws Exception {
    Random random = new Random(42);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(SIZE);
      for (long[] run : new long[][] {{0, 5000}, {(10 << 20) + 123, 70000}, {SIZE - 7, 7}}) {
        byte[] data = new byte[(int) run[1]];
        random.nextBytes(data);
        f.seek(run[0]);
        f.write(data);
        System.arraycopy(data, 0, content, (int) run[0], data.length);
      }
    }
    return file;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void aSparseFileHasTheChecksumOfItsDenseCopyAndOfAllItsBytes() throws Exception {
    byte[] content = new byte[SIZE];
    Path sparse = sparse(dir.resolve("sparse"), content);
    Path dense = Files.write(dir.resolve("dense"), content);
    Posix posix = Posix.system();
    try (FileExtents extents = posix.openExtents(sparse)) {
      assumeThat(extents.nextHole(0))
          .as("the test folder's filesystem keeps holes")
          .isLessThan(SIZE);
      assertThat(extents.nextData(8192)).isEqualTo(10 << 20); // the hole after the first run
    }

    FileDigest ofSparse = FileDigest.of(sparse, posix);
    FileDigest ofDense = FileDigest.of(dense, posix);

    assertThat(ofSparse).isEqualTo(ofDense);
    assertThat(ofSparse.sha256()).isEqualTo(sha256(content));
    assertThat(ofSparse.size()).isEqualTo(SIZE);
  }

  @Test
  void holesAreHashedAsZerosWithoutBeingRead() throws Exception {
    // A dense file of random bytes, which extents say is data only in its first 4 KiB: what lies
    // in the "holes" must not reach the checksum, so it was not read.
    byte[] content = new byte[1 << 20];
    new Random(7).nextBytes(content);
    Path file = Files.write(dir.resolve("file"), content);
    FakePosix onlyFirstPageIsData = new FakePosix(0, 0);
    onlyFirstPageIsData.setExtents(
        f ->
            new FileExtents() {
              @Override
              public long nextData(long offset) {
                return offset < 4096 ? offset : -1;
              }

              @Override
              public long nextHole(long offset) {
                return 4096;
              }

              @Override
              public void close() {}
            });

    byte[] expected = Arrays.copyOf(Arrays.copyOf(content, 4096), content.length);
    assertThat(FileDigest.of(file, onlyFirstPageIsData).sha256()).isEqualTo(sha256(expected));
  }

  @Test
  void anEmptyFileAndAFileOfOneHole() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty"));
    Path hole = dir.resolve("hole");
    try (RandomAccessFile f = new RandomAccessFile(hole.toFile(), "rw")) {
      f.setLength(3 << 20);
    }
    assertThat(FileDigest.of(empty, Posix.system()).sha256()).isEqualTo(sha256(new byte[0]));
    assertThat(FileDigest.of(hole, Posix.system()).sha256()).isEqualTo(sha256(new byte[3 << 20]));
  }
}

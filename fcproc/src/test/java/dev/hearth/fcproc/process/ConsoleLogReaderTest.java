package dev.hearth.fcproc.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogReaderTest {
  @TempDir Path dir;
  private final ConsoleLogReader reader = new ConsoleLogReader();

  private Path log() {
    return dir.resolve("console.log");
  }

  private void append(Path file, String text) throws Exception {
    Files.writeString(file, text, UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void tailGivesTheLastLinesAcrossTheRotatedFile() throws Exception {
    append(ConsoleLog.previous(log()), "one\ntwo\n");
    append(log(), "three\nfour\n");

    assertThat(new String(reader.tail(log(), 3).bytes(), UTF_8)).isEqualTo("two\nthree\nfour\n");
    assertThat(new String(reader.tail(log(), -1).bytes(), UTF_8))
        .isEqualTo("one\ntwo\nthree\nfour\n");
    assertThat(reader.tail(log(), 0).bytes()).isEmpty();
  }

  @Test
  void tailReadsOnlyTheEndOfHugeLogs() throws Exception {
    // 3 GiB each (sparse): more than one Java array holds, so reading either whole fails.
    for (Path file : new Path[] {ConsoleLog.previous(log()), log()}) {
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(3L << 30);
      }
    }
    append(log(), "last\n");

    byte[] tail = reader.tail(log(), -1).bytes();

    assertThat(tail).hasSize(ConsoleLogReader.MAX_REPLY_BYTES);
    assertThat(new String(tail, UTF_8)).endsWith("\0last\n");
  }

  @Test
  void aMissingLogIsEmpty() {
    ConsoleLogReader.Tail tail = reader.tail(log(), 10);

    assertThat(tail.bytes()).isEmpty();
    assertThat(reader.readFrom(log(), tail.position()).bytes()).isEmpty();
  }

  @Test
  void followingLosesNothingAcrossARotation() throws Exception {
    append(log(), "boot\n");
    ConsoleLogReader.Position position = reader.tail(log(), -1).position();
    append(log(), "before rotation\n");
    Files.move(log(), ConsoleLog.previous(log()));
    append(log(), "after rotation\n");

    ConsoleLogReader.Read read = reader.readFrom(log(), position);

    assertThat(new String(read.bytes(), UTF_8)).isEqualTo("before rotation\nafter rotation\n");
    assertThat(reader.readFrom(log(), read.position()).bytes()).isEmpty();
  }

  @Test
  void aFileTruncatedInPlaceIsReadFromItsStart() throws Exception {
    append(log(), "a long first line\n");
    ConsoleLogReader.Position position = reader.tail(log(), -1).position();
    Files.writeString(log(), "new\n", UTF_8, StandardOpenOption.TRUNCATE_EXISTING);

    assertThat(new String(reader.readFrom(log(), position).bytes(), UTF_8)).isEqualTo("new\n");
  }

  @Test
  void chunksAreAtMostTheChunkSize() {
    byte[] bytes = new byte[ConsoleLogReader.CHUNK_BYTES * 2 + 1];

    assertThat(ConsoleLogReader.chunks(bytes))
        .extracting(c -> c.length)
        .containsExactly(ConsoleLogReader.CHUNK_BYTES, ConsoleLogReader.CHUNK_BYTES, 1);
  }
}

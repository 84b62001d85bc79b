package dev.hearth.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineReaderTest {
  @Test
  void splitsLinesAcrossReads() throws IOException {
    LineReader reader = new LineReader(trickle("ab\ncd\n\nef"), 10);
    assertThat(reader.next()).isEqualTo(LineReader.Status.LINE);
    assertThat(text(reader)).isEqualTo("ab");
    assertThat(reader.next()).isEqualTo(LineReader.Status.LINE);
    assertThat(text(reader)).isEqualTo("cd");
    assertThat(reader.next()).isEqualTo(LineReader.Status.LINE);
    assertThat(text(reader)).isEmpty();
    assertThat(reader.next()).isEqualTo(LineReader.Status.EOF_MID_LINE);
  }

  @Test
  void endsCleanlyBetweenLines() throws IOException {
    LineReader reader =
        new LineReader(new ByteArrayInputStream("x\n".getBytes(StandardCharsets.UTF_8)), 10);
    assertThat(reader.next()).isEqualTo(LineReader.Status.LINE);
    assertThat(reader.next()).isEqualTo(LineReader.Status.EOF);
  }

  @Test
  void acceptsALineOfExactlyTheLimitAndRefusesOneByteMore() throws IOException {
    LineReader exact = new LineReader(trickle("12345\n"), 5);
    assertThat(exact.next()).isEqualTo(LineReader.Status.LINE);
    assertThat(text(exact)).isEqualTo("12345");
    LineReader over = new LineReader(trickle("123456\n"), 5);
    assertThat(over.next()).isEqualTo(LineReader.Status.TOO_LONG);
  }

  private static String text(LineReader reader) {
    return new String(reader.line(), StandardCharsets.UTF_8);
  }

  /** A stream that hands out at most three bytes per read. */
  private static InputStream trickle(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 3));
      }
    };
  }
}

package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BoundedCaptureTest {

  private static void write(BoundedCapture capture, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    capture.write(bytes, bytes.length);
  }

  @Test
  void headKeepsTheFirstBytes() {
    BoundedCapture head = BoundedCapture.head(5);
    write(head, "abc");
    assertThat(head.text()).isEqualTo("abc");
    assertThat(head.truncated()).isFalse();
    write(head, "de");
    assertThat(head.text()).isEqualTo("abcde");
    assertThat(head.truncated()).isFalse();
    write(head, "fgh");
    assertThat(head.text()).isEqualTo("abcde");
    assertThat(head.truncated()).isTrue();
  }

  @Test
  void tailKeepsTheLastBytes() {
    BoundedCapture tail = BoundedCapture.tail(5);
    write(tail, "abc");
    assertThat(tail.text()).isEqualTo("abc");
    write(tail, "de");
    assertThat(tail.text()).isEqualTo("abcde");
    assertThat(tail.truncated()).isFalse();
    write(tail, "f");
    assertThat(tail.text()).isEqualTo("bcdef");
    assertThat(tail.truncated()).isTrue();
    write(tail, "ghi");
    assertThat(tail.text()).isEqualTo("efghi");
    write(tail, "0123456789");
    assertThat(tail.text()).isEqualTo("56789");
    write(tail, "x");
    assertThat(tail.text()).isEqualTo("6789x");
  }

  @Test
  void onlyTheGivenLengthOfTheBufferIsUsed() {
    byte[] buf = "abcdefgh".getBytes(StandardCharsets.UTF_8);
    BoundedCapture head = BoundedCapture.head(100);
    BoundedCapture tail = BoundedCapture.tail(3);
    head.write(buf, 4);
    tail.write(buf, 4);
    assertThat(head.text()).isEqualTo("abcd");
    assertThat(tail.text()).isEqualTo("bcd");
  }

  @Test
  void capZeroKeepsNothingButNoticesOutput() {
    for (BoundedCapture c : new BoundedCapture[] {BoundedCapture.head(0), BoundedCapture.tail(0)}) {
      assertThat(c.truncated()).isFalse();
      c.write(new byte[0], 0);
      assertThat(c.truncated()).isFalse();
      write(c, "x");
      assertThat(c.bytes()).isEmpty();
      assertThat(c.truncated()).isTrue();
    }
  }

  @Test
  void emptyCaptureHasNoBytes() {
    assertThat(BoundedCapture.head(10).bytes()).isEmpty();
    assertThat(BoundedCapture.tail(10).text()).isEmpty();
  }

  @Test
  void bytesReturnsACopy() {
    BoundedCapture tail = BoundedCapture.tail(4);
    write(tail, "abcd");
    tail.bytes()[0] = 'z';
    assertThat(tail.text()).isEqualTo("abcd");
  }

  /** Many writes of random sizes, small and larger than the cap, against a plain model. */
  @ParameterizedTest
  @ValueSource(ints = {1, 7, 4096, 10_000, 100_000})
  void matchesAModelAcrossManySmallAndLargeWrites(int cap) {
    Random random = new Random(cap);
    BoundedCapture head = BoundedCapture.head(cap);
    BoundedCapture tail = BoundedCapture.tail(cap);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int i = 0; i < 400; i++) {
      int len = random.nextInt(10) == 0 ? random.nextInt(3 * cap + 1) : random.nextInt(50);
      byte[] chunk = new byte[len + 3];
      random.nextBytes(chunk);
      head.write(chunk, len);
      tail.write(chunk, len);
      all.write(chunk, 0, len);

      byte[] sofar = all.toByteArray();
      int kept = Math.min(cap, sofar.length);
      assertThat(head.bytes()).isEqualTo(Arrays.copyOfRange(sofar, 0, kept));
      assertThat(tail.bytes())
          .isEqualTo(Arrays.copyOfRange(sofar, sofar.length - kept, sofar.length));
      assertThat(head.truncated()).isEqualTo(sofar.length > cap);
      assertThat(tail.truncated()).isEqualTo(sofar.length > cap);
    }
  }
}

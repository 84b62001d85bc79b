package dev.hearth.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BoundedOutputTest {
  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void keepsEverythingUpToTheBound() throws IOException {
    BoundedOutput out = new BoundedOutput("the stdout of x", 5);
    out.write(bytes("ab"));
    out.write('c');
    out.write(bytes("de"));

    assertThat(out.text()).isEqualTo("abcde");
    assertThat(out.exceeded()).isFalse();
  }

  @Test
  void theWriteThatPassesTheBoundFailsNamingWhatAndTheBoundAndSoDoesEveryLaterOne() {
    BoundedOutput out = new BoundedOutput("the stderr of the list script in VM demo", 64 * 1024);
    byte[] chunk = new byte[40 * 1024];

    assertThatThrownBy(
            () -> {
              out.write(chunk);
              out.write(chunk);
            })
        .isInstanceOfSatisfying(
            OutputLimitException.class,
            e -> {
              assertThat(e.what()).isEqualTo("the stderr of the list script in VM demo");
              assertThat(e.limit()).isEqualTo(64 * 1024);
            })
        .hasMessage(
            "the stderr of the list script in VM demo passed 64 KiB, the most the daemon reads of"
                + " it; the guest command was stopped");
    assertThat(out.exceeded()).isTrue();
    assertThat(out.bytes()).hasSize(64 * 1024);
    assertThatThrownBy(() -> out.write(1)).isInstanceOf(OutputLimitException.class);
    assertThat(out.bytes()).hasSize(64 * 1024);
  }

  @Test
  void aLimitErrorIsFoundAmongTheCauses() {
    OutputLimitException limit = new OutputLimitException("x", 3);
    IOException wrapped = new IOException("outer", new GuestExecException("inner", limit));

    assertThat(OutputLimitException.in(wrapped)).contains(limit);
    assertThat(OutputLimitException.in(new IOException("no"))).isEmpty();
    assertThat(OutputLimitException.size(8 * 1024 * 1024)).isEqualTo("8 MiB");
    assertThat(OutputLimitException.size(1000)).isEqualTo("1000 bytes");
  }
}

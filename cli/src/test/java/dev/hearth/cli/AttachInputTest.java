package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttachInputTest {
  private final List<String> sent = new ArrayList<>();
  private final ByteArrayOutputStream echo = new ByteArrayOutputStream();
  private int interrupts;

  private AttachInput.End type(boolean terminal, byte[] keys) throws Exception {
    return new AttachInput(
            terminal,
            b -> sent.add(new String(b, StandardCharsets.UTF_8)),
            echo,
            () -> interrupts++)
        .run(new ByteArrayInputStream(keys));
  }

  private static byte[] keys(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aTerminalLineIsEditedEchoedAndSentOnEnter() throws Exception {
    AttachInput.End end = type(true, keys("héllo\u007f\u007fp\rsecond\u0015third\n"));

    assertThat(end).isEqualTo(AttachInput.End.EOF);
    assertThat(sent).containsExactly("hélp\n", "third\n");
    assertThat(echo.toString(StandardCharsets.UTF_8))
        .isEqualTo("héllo\b \b\b \bp\r\nsecond" + "\b \b".repeat(6) + "third\r\n");
  }

  @Test
  void ctrlPCtrlQDetachesAndCtrlPWithAnythingElseIsTyped() throws Exception {
    assertThat(type(true, keys("a\u0010b\u0001\r\u0010\u0011ignored\r")))
        .isEqualTo(AttachInput.End.DETACH);
    assertThat(sent).containsExactly("a\u0010b\u0001\n");
    assertThat(echo.toString(StandardCharsets.UTF_8)).isEqualTo("a^Pb^A\r\n");
  }

  @Test
  void ctrlCDropsTheLineAndInterruptsTheSession() throws Exception {
    type(true, keys("half a line\u0003next\r"));
    assertThat(interrupts).isEqualTo(1);
    assertThat(sent).containsExactly("next\n");
    assertThat(echo.toString(StandardCharsets.UTF_8)).isEqualTo("half a line^C\r\nnext\r\n");
  }

  @Test
  void aControlCharacterIsErasedWithItsTwoColumns() throws Exception {
    type(true, keys("x\u0010y\u007f\u007f\r"));
    assertThat(sent).containsExactly("x\n");
    assertThat(echo.toString(StandardCharsets.UTF_8)).isEqualTo("x^Py\b \b\b \b\b \b\r\n");
  }

  @Test
  void aPipePassesThroughUnchangedAndNeverDetaches() throws Exception {
    assertThat(type(false, keys("raw\r\u0010\u0011\u0003\u007fbytes")))
        .isEqualTo(AttachInput.End.EOF);
    assertThat(String.join("", sent)).isEqualTo("raw\r\u0010\u0011\u0003\u007fbytes");
    assertThat(echo.size()).isZero();
    assertThat(interrupts).isZero();
  }
}

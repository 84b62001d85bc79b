package dev.hearth.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PrintableTest {
  @Test
  void controlCharactersAreEscapedAndOtherTextKept() {
    assertThat(Printable.of("a\nb\u001b[31m\u007f é 漢 🙂"))
        .isEqualTo("a\\x0ab\\x1b[31m\\x7f é 漢 🙂");
  }

  @Test
  void bidirectionalFormattingCharactersAreEscaped() {
    // With U+202E (right-to-left override) before it, "txt.exe" shows as "exe.txt".
    assertThat(Printable.escape("evil\u202etxt.exe \u2066x\u2069 \u200f\u061c é"))
        .isEqualTo("evil\\u202etxt.exe \\u2066x\\u2069 \\u200f\\u061c é");
    assertThat(Printable.isBidiControl(0x202d)).isTrue();
    assertThat(Printable.isBidiControl(0x2065)).isFalse();
    assertThat(Printable.isBidiControl('a')).isFalse();
  }

  @Test
  void longTextIsCutAfterEightyCodePoints() {
    assertThat(Printable.of("🙂".repeat(81))).isEqualTo("🙂".repeat(80) + "…");
    assertThat(Printable.of("x".repeat(80))).isEqualTo("x".repeat(80));
    assertThat(Printable.escape("x".repeat(200))).hasSize(200);
  }

  @Test
  void theTerminalFilterStripsEverySequenceAndControlButNewlineAndTab() {
    String guest =
        "plain\ttext\n"
            + "\u001b[31mred\u001b[0m\n" // CSI colour
            + "\u001b[2J\u001b[H\u001b[?1049h" // clear, home, alternate screen
            + "\u001b]0;title\u0007" // OSC ended by BEL
            + "\u001b]52;c;cGFzdGU=\u001b\\" // OSC 52 (clipboard) ended by ST
            + "\u001bP+q544e\u001b\\" // DCS
            + "\u001b(B\u001b7\u001bc" // charset, save cursor, reset
            + "\u009b31m\u009d0;c1 title\u009c\u0085" // C1 CSI, OSC, ST, NEL
            + "over\rwrite\bx\u007f\u0000\u0007\r\n"
            + "é 漢 🙂\n";
    assertThat(filtered(guest)).isEqualTo("plain\ttext\nred\noverwritex\né 漢 🙂\n");
  }

  @Test
  void theTerminalFilterKeepsStateAcrossChunks() {
    byte[] all = "a\u001b[3".getBytes(UTF_8);
    byte[] rest = "1mb\u001b]0;t".getBytes(UTF_8);
    byte[] end = "itle\u0007c€".getBytes(UTF_8);
    Printable.TerminalFilter filter = Printable.terminalFilter();
    StringBuilder out = new StringBuilder();
    out.append(new String(filter.filter(all), UTF_8));
    out.append(new String(filter.filter(rest), UTF_8));
    out.append(new String(filter.filter(Arrays.copyOf(end, end.length - 2)), UTF_8));
    out.append(
        new String(filter.filter(Arrays.copyOfRange(end, end.length - 2, end.length)), UTF_8));
    out.append(new String(filter.filter(new byte[] {(byte) 0xe2}), UTF_8));
    out.append(new String(filter.finish(), UTF_8));
    assertThat(out.toString()).isEqualTo("abc€\uFFFD");
  }

  @Test
  void anUnterminatedStringEndsAtANewlineAndBadBytesBecomeReplacements() {
    assertThat(filtered("\u001b]0;never ended\nstill shown\n")).isEqualTo("\nstill shown\n");
    Printable.TerminalFilter filter = Printable.terminalFilter();
    assertThat(new String(filter.filter(new byte[] {'a', (byte) 0xff, (byte) 0x9b, 'b'}), UTF_8))
        .isEqualTo("a\uFFFD\uFFFDb");
  }

  private static String filtered(String text) {
    Printable.TerminalFilter filter = Printable.terminalFilter();
    byte[] out = filter.filter(text.getBytes(UTF_8));
    return new String(out, UTF_8) + new String(filter.finish(), UTF_8);
  }
}

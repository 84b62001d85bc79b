package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TableTest {
  private static String print(Table table, boolean colour) {
    StringWriter out = new StringWriter();
    table.print(new PrintWriter(out), new Style(colour));
    return out.toString();
  }

  @Test
  void alignsColumnsAndLeavesNoTrailingSpace() {
    Table table = new Table().header("A", "NAME", "DETAIL");
    table.row("PASS", "kvm", "/dev/kvm is usable");
    table.row("FAIL", "firecracker-binary", "");
    table.note(1, "fix: install firecracker");

    assertThat(print(table, false).lines())
        .containsExactly(
            "A     NAME                DETAIL",
            "PASS  kvm                 /dev/kvm is usable",
            "FAIL  firecracker-binary",
            "      fix: install firecracker");
  }

  @Test
  void controlCharactersInCellsAndNotesAreEscapedAndCountedSo() {
    Table table = new Table();
    table.row(new Table.Cell("a\u001b[2J", Style.Colour.RED), new Table.Cell("x", null));
    table.row("b", "\u001b]52;c;eA==\u0007");
    table.note(1, "n\u0007\nz");

    assertThat(print(table, false).lines())
        .containsExactly(
            "a\\x1b[2J  x", "b         \\x1b]52;c;eA==\\x07", "          n\\x07\\x0az");
    assertThat(print(table, true)).doesNotContain("\u0007", "\u001b[2J", "\u001b]");
  }

  @Test
  void colourCodesDoNotCountTowardsWidth() {
    Table table = new Table();
    table.row(new Table.Cell("WARN", Style.Colour.YELLOW), new Table.Cell("x", null));
    table.row("PASS-LONG", "y");

    String plain = print(table, false);
    String coloured = print(table, true);
    assertThat(coloured).contains("\u001b[33mWARN\u001b[0m");
    assertThat(coloured.replaceAll("\u001b\\[[0-9;]*m", "")).isEqualTo(plain);
    assertThat(plain.lines()).containsExactly("WARN       x", "PASS-LONG  y");
  }
}

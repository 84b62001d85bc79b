package dev.hearth.cli;

import dev.hearth.core.Printable;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rows printed in aligned columns, two spaces apart, the last column unpadded. Widths count the
 * text, not colour codes. A note is a free line that starts under a given column (for example a
 * "fix:" under a failed check). Every cell and note is escaped ({@link Printable#escape}): what a
 * view shows comes from the daemon, and may come from a guest (a session's name, a log line), so no
 * control character reaches the terminal from a table, and none breaks its lines.
 */
final class Table {
  private static final String GAP = "  ";

  /** A cell's text, escaped, and its colour (null for none). */
  record Cell(String text, Style.Colour colour) {
    Cell {
      text = Printable.escape(text);
    }
  }

  private sealed interface Line permits Row, Note {}

  private record Row(List<Cell> cells) implements Line {}

  private record Note(int column, String text) implements Line {}

  private final List<Line> lines = new ArrayList<>();
  private int columns;

  /** A header row, in bold. */
  Table header(String... titles) {
    return row(Arrays.stream(titles).map(t -> new Cell(t, Style.Colour.BOLD)).toArray(Cell[]::new));
  }

  Table row(String... cells) {
    return row(Arrays.stream(cells).map(t -> new Cell(t, null)).toArray(Cell[]::new));
  }

  Table row(Cell... cells) {
    lines.add(new Row(List.of(cells)));
    columns = Math.max(columns, cells.length);
    return this;
  }

  /** A line of text that starts where {@code column} starts. */
  Table note(int column, String text) {
    lines.add(new Note(column, Printable.escape(text)));
    return this;
  }

  void print(PrintWriter out, Style style) {
    int[] widths = new int[columns];
    for (Line line : lines) {
      if (line instanceof Row row) {
        for (int i = 0; i < row.cells().size(); i++) {
          widths[i] = Math.max(widths[i], row.cells().get(i).text().length());
        }
      }
    }
    for (Line line : lines) {
      StringBuilder sb = new StringBuilder();
      if (line instanceof Row row) {
        List<Cell> cells = row.cells();
        for (int i = 0; i < cells.size(); i++) {
          Cell cell = cells.get(i);
          sb.append(style.paint(cell.text(), cell.colour()));
          if (i < cells.size() - 1) {
            sb.append(" ".repeat(widths[i] - cell.text().length())).append(GAP);
          }
        }
      } else if (line instanceof Note note) {
        int indent = 0;
        for (int i = 0; i < note.column(); i++) {
          indent += widths[i] + GAP.length();
        }
        sb.append(" ".repeat(indent)).append(note.text());
      }
      out.println(sb.toString().stripTrailing());
    }
    out.flush();
  }
}

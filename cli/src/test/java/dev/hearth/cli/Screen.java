package dev.hearth.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * What a terminal shows after some output: understands newline, "cursor to the start of the line n
 * up" (CSI n F), "erase line" (CSI 2K), and drops colour codes. Enough to check redraws in place.
 */
final class Screen {
  private Screen() {}

  static List<String> render(String output) {
    List<StringBuilder> lines = new ArrayList<>();
    lines.add(new StringBuilder());
    int row = 0;
    int i = 0;
    while (i < output.length()) {
      char c = output.charAt(i);
      if (c == '\u001b' && i + 1 < output.length() && output.charAt(i + 1) == '[') {
        int end = i + 2;
        while (!Character.isLetter(output.charAt(end))) {
          end++;
        }
        String arg = output.substring(i + 2, end);
        switch (output.charAt(end)) {
          case 'F' -> row -= Integer.parseInt(arg);
          case 'K' -> lines.get(row).setLength(0);
          case 'm' -> {
            // colour: not part of the text
          }
          default -> throw new AssertionError("unexpected escape " + output.substring(i, end + 1));
        }
        if (row < 0) {
          throw new AssertionError("cursor moved above the output");
        }
        i = end + 1;
      } else if (c == '\n') {
        row++;
        if (row == lines.size()) {
          lines.add(new StringBuilder());
        }
        i++;
      } else {
        lines.get(row).append(c);
        i++;
      }
    }
    List<String> shown = new ArrayList<>(lines.stream().map(StringBuilder::toString).toList());
    if (shown.get(shown.size() - 1).isEmpty()) {
      shown.remove(shown.size() - 1);
    }
    return shown;
  }
}

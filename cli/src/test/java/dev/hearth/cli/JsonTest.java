package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class JsonTest {
  // Guest-chosen text: C1 CSI (clear screen), DEL, a right-to-left override, ESC, and plain text.
  private static final String HOSTILE = "a\u009b2Jb\u007fc\u202etxt.exe\u001b]0;t\u0007 é 漢 🙂";

  @Test
  void outputEscapesWhatATerminalWouldActOnAndParsesBackToTheSameText() throws Exception {
    ObjectNode node = Json.object().put("name", HOSTILE);
    for (boolean pretty : new boolean[] {false, true}) {
      String rendered = Json.render(node, pretty);

      assertThat(rendered)
          .as("rendered %s", pretty ? "indented" : "compact")
          .contains("\\u009B", "\\u007F", "\\u202E", "\\u001B", "\\u0007", " é 漢 🙂")
          .doesNotContain("\u009b", "\u007f", "\u202e", "\u001b", "\u0007");
      JsonNode back = Json.parse(rendered);
      assertThat(back.path("name").asText()).isEqualTo(HOSTILE);
    }
  }
}

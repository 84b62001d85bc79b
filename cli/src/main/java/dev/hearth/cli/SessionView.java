package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Printable;
import java.time.Instant;

/** Session objects of the RPC contract as tables. */
final class SessionView {
  private static final int COMMAND_WIDTH = 60;

  private SessionView() {}

  /** ID NAME [VM] STATE EXIT STARTED COMMAND, one row per session in the order given. */
  static Table table(JsonNode sessions, boolean withVm, Instant now) {
    Table table = new Table();
    if (withVm) {
      table.header("ID", "NAME", "VM", "STATE", "EXIT", "STARTED", "COMMAND");
    } else {
      table.header("ID", "NAME", "STATE", "EXIT", "STARTED", "COMMAND");
    }
    for (JsonNode s : sessions) {
      String state = Json.text(s, "state");
      Table.Cell stateCell = new Table.Cell(state, stateColour(state));
      String exit = s.path("exit_code").isNumber() ? s.path("exit_code").asText() : "-";
      String name = Json.text(s, "name").isEmpty() ? "-" : Json.text(s, "name");
      String started = Human.age(Json.text(s, "started_at"), now) + " ago";
      String command = oneLine(Json.text(s, "command"));
      if (withVm) {
        table.row(
            plain(Json.text(s, "id")),
            plain(name),
            plain(Json.text(s, "vm")),
            stateCell,
            plain(exit),
            plain(started),
            plain(command));
      } else {
        table.row(
            plain(Json.text(s, "id")),
            plain(name),
            stateCell,
            plain(exit),
            plain(started),
            plain(command));
      }
    }
    return table;
  }

  /** Control characters shown escaped, so a hostile command cannot break the table. */
  static String oneLine(String text) {
    // A line break reads better as \n than as \x0a in a table cell.
    String escaped = Printable.escape(text.replace("\n", "\\n"));
    if (escaped.codePointCount(0, escaped.length()) > COMMAND_WIDTH) {
      return escaped.substring(0, escaped.offsetByCodePoints(0, COMMAND_WIDTH - 3)) + "...";
    }
    return escaped;
  }

  static Style.Colour stateColour(String state) {
    return switch (state) {
      case "running" -> Style.Colour.GREEN;
      case "lost" -> Style.Colour.RED;
      default -> null;
    };
  }

  private static Table.Cell plain(String text) {
    return new Table.Cell(text, null);
  }
}

package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Operation snapshots of the RPC contract as tables, lines and failure messages. */
final class OpView {
  private OpView() {}

  /** ID KIND TARGET STATE STAGE AGE, one row per operation in the order given. */
  static Table table(JsonNode ops, Instant now) {
    Table table = new Table().header("ID", "KIND", "TARGET", "STATE", "STAGE", "AGE");
    for (JsonNode op : ops) {
      String state = Json.text(op, "state");
      table.row(
          plain(Json.text(op, "id")),
          plain(Json.text(op, "kind")),
          plain(Json.text(op, "target")),
          new Table.Cell(state, stateColour(state)),
          plain(stage(op)),
          plain(Human.age(Json.text(op, "started_at"), now)));
    }
    return table;
  }

  /** "Key: value" lines, then the recent log lines. */
  static Table details(JsonNode op, Instant now) {
    Details details = new Details();
    details.add("ID", Json.text(op, "id"));
    details.add("Kind", Json.text(op, "kind"));
    details.add("Target", Json.text(op, "target"));
    String state = Json.text(op, "state");
    details.add("State", state, stateColour(state));
    details.add("Stage", stage(op));
    JsonNode error = op.path("error");
    if (error.isObject()) {
      details.add(
          "Error",
          "at " + Json.text(error, "stage") + ": " + Json.text(error, "message"),
          Style.Colour.RED);
    }
    details.add("Started", Details.timestamp(Json.text(op, "started_at"), now));
    details.add("Finished", Details.timestamp(Json.text(op, "finished_at"), now));
    details.add("Took", duration(op).map(Human::elapsed).orElse(""));
    details.add("Result", Json.text(op, "result"));
    JsonNode log = op.path("log");
    if (log.isArray() && !log.isEmpty()) {
      details.add("Log", log.get(0).asText());
      for (int i = 1; i < log.size(); i++) {
        details.note(log.get(i).asText());
      }
    }
    return details.table();
  }

  /** The stage, with the percent when known: "rootfs 40%". */
  static String stage(JsonNode op) {
    String stage = Json.text(op, "stage");
    JsonNode percent = op.path("percent");
    return percent.isNumber() && "running".equals(Json.text(op, "state"))
        ? stage + " " + percent.asInt() + "%"
        : stage;
  }

  /** From start to finish, when the operation has both times. */
  static Optional<Duration> duration(JsonNode op) {
    Optional<Instant> started = Human.instant(Json.text(op, "started_at"));
    Optional<Instant> finished = Human.instant(Json.text(op, "finished_at"));
    if (started.isEmpty() || finished.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(started.get(), finished.get()));
  }

  static boolean finished(JsonNode op) {
    String state = Json.text(op, "state");
    return state.equals("succeeded") || state.equals("failed") || state.equals("cancelled");
  }

  /**
   * Why a finished operation did not succeed, for the error line: "vm.create demo failed at rootfs:
   * no space left on device (op 0123abcd)". Empty when it succeeded.
   */
  static Optional<String> failure(JsonNode op) {
    String what = Json.text(op, "kind") + " " + Json.text(op, "target");
    String id = " (op " + Json.text(op, "id") + ")";
    switch (Json.text(op, "state")) {
      case "failed":
        JsonNode error = op.path("error");
        String stage = error.isObject() ? Json.text(error, "stage") : Json.text(op, "stage");
        String message = error.isObject() ? Json.text(error, "message") : "";
        return Optional.of(
            what + " failed at " + stage + (message.isEmpty() ? "" : ": " + message) + id);
      case "cancelled":
        return Optional.of(what + " was cancelled at " + Json.text(op, "stage") + id);
      default:
        return Optional.empty();
    }
  }

  /** Green when it succeeded, yellow while it runs, red when it failed. */
  static Style.Colour stateColour(String state) {
    return switch (state) {
      case "succeeded" -> Style.Colour.GREEN;
      case "running" -> Style.Colour.YELLOW;
      case "failed" -> Style.Colour.RED;
      default -> null;
    };
  }

  private static Table.Cell plain(String text) {
    return new Table.Cell(text, null);
  }
}

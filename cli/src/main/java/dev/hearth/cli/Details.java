package dev.hearth.cli;

import java.time.Instant;

/** "Key: value" lines, for the fields that have a value: {@code vm show}, {@code op show}. */
final class Details {
  private final Table table = new Table();

  /** Adds the line unless the value is empty. */
  Details add(String key, String value) {
    return add(key, value, null);
  }

  Details add(String key, String value, Style.Colour colour) {
    if (!value.isEmpty()) {
      table.row(new Table.Cell(key + ":", null), new Table.Cell(value, colour));
    }
    return this;
  }

  /** A free line under the values, e.g. one log line. */
  Details note(String text) {
    table.note(1, text);
    return this;
  }

  Table table() {
    return table;
  }

  /** A timestamp with its age: "2024-05-01T10:00:00Z (5m ago)"; "" when missing. */
  static String timestamp(String iso, Instant now) {
    return Human.instant(iso).map(t -> iso + " (" + Human.age(t, now) + " ago)").orElse(iso);
  }
}

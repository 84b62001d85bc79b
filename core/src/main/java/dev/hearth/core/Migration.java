package dev.hearth.core;

import java.util.List;

/**
 * One step of the database schema: applied once, in version order, inside a transaction, and
 * recorded in SQLite's {@code user_version}.
 */
public record Migration(int version, String description, List<String> statements) {
  public Migration {
    statements = List.copyOf(statements);
    if (version < 1) {
      throw new IllegalArgumentException("migration versions start at 1: " + version);
    }
  }
}

package dev.hearth.core;

import java.util.List;

/**
 * The whole database schema, as the ordered list of migrations. Add a migration at the end; never
 * edit one that has shipped.
 */
public final class Schema {
  private Schema() {}

  public static final List<Migration> MIGRATIONS =
      List.of(
          new Migration(
              1,
              "daemon metadata",
              List.of(
                  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                  "INSERT INTO meta(key, value)"
                      + " VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")));

  /** The version a database has once every migration is applied. */
  public static int latestVersion() {
    return MIGRATIONS.get(MIGRATIONS.size() - 1).version();
  }
}

package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {
  private static final Migration V1 =
      new Migration(
          1,
          "vms",
          List.of(
              "CREATE TABLE vm (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
              "CREATE TABLE v1_runs (n INTEGER)",
              // Counts how often v1 ran: a re-run would insert a second row.
              "INSERT INTO v1_runs VALUES (1)"));
  private static final Migration V2 =
      new Migration(
          2,
          "vm memory and sessions",
          List.of(
              "ALTER TABLE vm ADD COLUMN memory_mib INTEGER NOT NULL DEFAULT 1024",
              "CREATE TABLE session (id TEXT PRIMARY KEY, vm_id TEXT NOT NULL REFERENCES vm(id))"));

  @TempDir Path dir;

  private Path db() {
    return dir.resolve("state/hearth.db");
  }

  @Test
  void freshOpenAppliesTheSchema() {
    try (Store store = Store.open(db())) {
      assertThat(store.schemaVersion()).isEqualTo(Schema.latestVersion());
      assertThat(store.file()).isEqualTo(db());
      assertThat(tables(store)).contains("meta");
      String createdAt = query(store, "SELECT value FROM meta WHERE key = 'created_at'");
      assertThat(createdAt).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    }
    assertThat(db()).isRegularFile();
  }

  @Test
  void schemaMigrationsAreNumberedFromOneWithoutGaps() {
    for (int i = 0; i < Schema.MIGRATIONS.size(); i++) {
      assertThat(Schema.MIGRATIONS.get(i).version()).isEqualTo(i + 1);
    }
    assertThat(Schema.latestVersion()).isEqualTo(Schema.MIGRATIONS.size());
  }

  @Test
  void usesWalBusyTimeoutAndForeignKeys() {
    try (Store store = Store.open(db())) {
      assertThat(query(store, "PRAGMA journal_mode")).isEqualToIgnoringCase("wal");
      // 2 = FULL: a commit is durable when it returns, even in WAL mode (NORMAL is 1).
      assertThat(query(store, "PRAGMA synchronous")).isEqualTo("2");
      assertThat(query(store, "PRAGMA busy_timeout"))
          .isEqualTo(Long.toString(Store.BUSY_TIMEOUT.toMillis()));
      assertThat(query(store, "PRAGMA foreign_keys")).isEqualTo("1");
    }
  }

  @Test
  void migratesAnExistingDatabaseKeepingItsRows() {
    try (Store store = Store.open(db(), List.of(V1))) {
      assertThat(store.schemaVersion()).isEqualTo(1);
      store.write(
          c -> {
            insertVm(c, "a1", "web");
            insertVm(c, "b2", "db");
            return null;
          });
    }
    try (Store store = Store.open(db(), List.of(V1, V2))) {
      assertThat(store.schemaVersion()).isEqualTo(2);
      assertThat(query(store, "SELECT count(*) FROM v1_runs")).isEqualTo("1");
      assertThat(
              query(
                  store,
                  "SELECT group_concat(name || ':' || memory_mib)"
                      + " FROM (SELECT * FROM vm ORDER BY id)"))
          .isEqualTo("web:1024,db:1024");
      assertThat(tables(store)).contains("session");
    }
    // Reopening at the latest version runs nothing again.
    try (Store store = Store.open(db(), List.of(V1, V2))) {
      assertThat(store.schemaVersion()).isEqualTo(2);
      assertThat(query(store, "SELECT count(*) FROM v1_runs")).isEqualTo("1");
    }
  }

  @Test
  void aFailingMigrationIsRolledBackAndNamed() {
    try (Store store = Store.open(db(), List.of(V1))) {
      store.write(c -> insertVm(c, "a1", "web"));
    }
    Migration broken =
        new Migration(
            2,
            "add images",
            List.of(
                "CREATE TABLE image (name TEXT PRIMARY KEY)",
                "ALTER TABLE vm ADD COLUMN image TEXT",
                "INSERT INTO no_such_table VALUES (1)"));
    assertThatThrownBy(() -> Store.open(db(), List.of(V1, broken)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(db().toString())
        .hasMessageContaining("migration 2 (add images) failed")
        .hasMessageContaining("no_such_table");
    try (Store store = Store.open(db(), List.of(V1))) {
      assertThat(store.schemaVersion()).isEqualTo(1);
      assertThat(tables(store)).doesNotContain("image");
      assertThat(columns(store, "vm")).containsExactly("id", "name");
      assertThat(query(store, "SELECT name FROM vm")).isEqualTo("web");
    }
  }

  @Test
  void aFailingFirstMigrationLeavesAnEmptyDatabase() {
    Migration broken = new Migration(1, "bad", List.of("CREATE TABLE t (x)", "NOT SQL"));
    assertThatThrownBy(() -> Store.open(db(), List.of(broken)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("migration 1 (bad) failed");
    try (Store store = Store.open(db(), List.of())) {
      assertThat(store.schemaVersion()).isZero();
      assertThat(tables(store)).isEmpty();
    }
  }

  @Test
  void aDatabaseNewerThanTheMigrationsIsRefused() {
    Store.open(db(), List.of(V1, V2)).close();
    assertThatThrownBy(() -> Store.open(db(), List.of(V1)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(db().toString())
        .hasMessageContaining("schema version 2")
        .hasMessageContaining("(1)");
    // Refusing changed nothing.
    try (Store store = Store.open(db(), List.of(V1, V2))) {
      assertThat(store.schemaVersion()).isEqualTo(2);
    }
  }

  @Test
  void aGappedOrMisorderedMigrationListIsRejected() {
    Migration v3 = new Migration(3, "three", List.of("SELECT 1"));
    assertThatThrownBy(() -> Store.open(db(), List.of(V1, v3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without gaps")
        .hasMessageContaining("found 3 at position 2");
    assertThatThrownBy(() -> Store.open(db(), List.of(V2, V1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("found 2 at position 1");
    assertThat(db()).doesNotExist();
  }

  @Test
  void migrationVersionsStartAtOne() {
    assertThatThrownBy(() -> new Migration(0, "zero", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("start at 1");
  }

  @Test
  void writeCommitsWhenTheWorkReturns() {
    try (Store store = Store.open(db(), List.of(V1))) {
      int inserted = store.write(c -> insertVm(c, "a1", "web"));
      assertThat(inserted).isEqualTo(1);
    }
    try (Store store = Store.open(db(), List.of(V1))) {
      assertThat(query(store, "SELECT name FROM vm")).isEqualTo("web");
    }
  }

  @Test
  void writeRollsBackWhenTheWorkThrows() {
    try (Store store = Store.open(db(), List.of(V1))) {
      store.write(c -> insertVm(c, "a1", "web"));
      IllegalStateException boom = new IllegalStateException("boom");
      assertThatThrownBy(
              () ->
                  store.write(
                      c -> {
                        insertVm(c, "b2", "db");
                        throw boom;
                      }))
          .isSameAs(boom);
      assertThat(vmNames(store)).containsExactly("web");
      // The connection is usable afterwards and back in autocommit.
      store.write(c -> insertVm(c, "c3", "cache"));
      assertThat(vmNames(store)).containsExactly("web", "cache");
    }
  }

  @Test
  void writeRollsBackOnSqlErrorsAndNamesTheFile() {
    try (Store store = Store.open(db(), List.of(V1))) {
      assertThatThrownBy(
              () ->
                  store.write(
                      c -> {
                        insertVm(c, "a1", "web");
                        return insertVm(c, "b2", "web");
                      }))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining(db().toString())
          .hasMessageContaining("UNIQUE");
      assertThat(vmNames(store)).isEmpty();
    }
  }

  @Test
  void aNestedWriteJoinsTheOuterTransaction() {
    try (Store store = Store.open(db(), List.of(V1))) {
      assertThatThrownBy(
              () ->
                  store.write(
                      c -> {
                        store.write(inner -> insertVm(inner, "a1", "web"));
                        throw new IllegalStateException("after the inner write");
                      }))
          .hasMessage("after the inner write");
      assertThat(vmNames(store)).isEmpty();

      store.write(c -> store.write(inner -> insertVm(inner, "a1", "web")));
      assertThat(vmNames(store)).containsExactly("web");
    }
  }

  @Test
  void foreignKeysAreEnforced() {
    try (Store store = Store.open(db(), List.of(V1, V2))) {
      assertThatThrownBy(
              () ->
                  store.write(
                      c -> {
                        try (Statement st = c.createStatement()) {
                          return st.executeUpdate(
                              "INSERT INTO session(id, vm_id) VALUES ('s', 'missing')");
                        }
                      }))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("FOREIGN KEY");
    }
  }

  @Test
  void readErrorsNameTheFile() {
    try (Store store = Store.open(db(), List.of())) {
      assertThatThrownBy(() -> query(store, "SELECT * FROM nothing"))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining(db().toString())
          .hasMessageContaining("nothing");
    }
  }

  @Test
  void aFileThatIsNotADatabaseIsNamed() throws Exception {
    Files.createDirectories(db().getParent());
    Files.writeString(db(), "this is not sqlite, just text that is long enough to look like one");
    assertThatThrownBy(() -> Store.open(db()))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(db().toString());
  }

  @Test
  void anUncreatableFolderIsNamed() throws Exception {
    Path blocker = dir.resolve("file");
    Files.writeString(blocker, "x");
    Path db = blocker.resolve("sub/hearth.db");
    assertThatThrownBy(() -> Store.open(db))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(db.toString());
  }

  @Test
  void aSecondStoreSeesCommittedWrites() {
    try (Store writer = Store.open(db(), List.of(V1));
        Store reader = Store.open(db(), List.of(V1))) {
      writer.write(c -> insertVm(c, "a1", "web"));
      assertThat(vmNames(reader)).containsExactly("web");
    }
  }

  private static int insertVm(Connection c, String id, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO vm(id, name) VALUES (?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, name);
      return ps.executeUpdate();
    }
  }

  private static List<String> vmNames(Store store) {
    return store.read(c -> queryColumn(c, "SELECT name FROM vm ORDER BY rowid"));
  }

  private static List<String> tables(Store store) {
    return store.read(
        c -> queryColumn(c, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"));
  }

  private static List<String> columns(Store store, String table) {
    return store.read(c -> queryColumn(c, "SELECT name FROM pragma_table_info('" + table + "')"));
  }

  private static String query(Store store, String sql) {
    return store.read(c -> queryString(c, sql));
  }

  private static String queryString(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static List<String> queryColumn(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}

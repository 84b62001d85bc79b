package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.core.CheckOutcome.Status;
import dev.hearth.core.testing.FakePosix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sqlite check against real database files; it must only ever read them. */
class StateChecksSqliteTest {
  @TempDir Path stateDir;

  private CheckOutcome sqliteCheck() {
    Config config = Config.defaults().with(ConfigKey.STATE_DIR, stateDir.toString());
    return new StateChecks(config, new FakePosix(0, 0), LinuxHostProbe.system()).sqlite();
  }

  private Path db() {
    return stateDir.resolve("hearth.db");
  }

  private void setUserVersion(int version) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db());
        Statement st = c.createStatement()) {
      st.execute("PRAGMA user_version = " + version);
    }
  }

  /** Every file in the state folder with its size and modification time. */
  private Map<String, String> snapshot() throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.list(stateDir)) {
      for (Path p : all.toList()) {
        FileTime modified = Files.getLastModifiedTime(p);
        files.put(p.getFileName().toString(), Files.size(p) + " " + modified.toMillis());
      }
    }
    return files;
  }

  @Test
  void aMissingDatabasePassesAndIsNotCreated() throws Exception {
    CheckOutcome check = sqliteCheck();

    assertThat(check.status()).isEqualTo(Status.PASS);
    assertThat(check.detail())
        .isEqualTo(db() + " does not exist: will be created at first daemon start");
    assertThat(snapshot()).isEmpty();
  }

  @Test
  void aCurrentDatabasePassesAndIsLeftUntouched() throws Exception {
    Store.open(db()).close();
    byte[] before = Files.readAllBytes(db());
    Map<String, String> filesBefore = snapshot();

    CheckOutcome check = sqliteCheck();

    assertThat(check.status()).isEqualTo(Status.PASS);
    assertThat(check.detail())
        .isEqualTo(db() + " has schema version " + Schema.latestVersion() + " (current)");
    assertThat(snapshot()).isEqualTo(filesBefore);
    assertThat(Files.readAllBytes(db())).isEqualTo(before);
  }

  @Test
  void aDatabaseInUseByTheDaemonCanBeRead() throws Exception {
    try (Store store = Store.open(db())) {
      Map<String, String> filesBefore = snapshot();

      CheckOutcome check = sqliteCheck();

      assertThat(check.status()).isEqualTo(Status.PASS);
      assertThat(check.detail()).endsWith("(current)");
      assertThat(snapshot()).isEqualTo(filesBefore);
      assertThat(store.schemaVersion()).isEqualTo(Schema.latestVersion());
    }
  }

  @Test
  void anOlderDatabasePassesAsMigratable() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db());
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE old (x INTEGER)");
    }

    CheckOutcome check = sqliteCheck();

    assertThat(check.status()).isEqualTo(Status.PASS);
    assertThat(check.detail())
        .isEqualTo(
            db()
                + " has schema version 0; the daemon migrates it to "
                + Schema.latestVersion()
                + " at start");
  }

  @Test
  void aDatabaseInAPathThatNeedsQuotingCanBeRead() throws Exception {
    stateDir = Files.createDirectory(stateDir.resolve("state dir #1?x=%20"));
    Store.open(db()).close();

    assertThat(sqliteCheck().detail())
        .isEqualTo(db() + " has schema version " + Schema.latestVersion() + " (current)");
  }

  @Test
  void aNewerDatabaseFails() throws Exception {
    Store.open(db()).close();
    setUserVersion(Schema.latestVersion() + 5);

    CheckOutcome check = sqliteCheck();

    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.detail())
        .isEqualTo(
            db()
                + " has schema version "
                + (Schema.latestVersion() + 5)
                + ", newer than this hearth knows ("
                + Schema.latestVersion()
                + ")");
    assertThat(check.fix()).contains("upgrade hearth");
  }

  @Test
  void aCorruptFileFailsNamingIt() throws Exception {
    Files.writeString(db(), "this is not a database\n".repeat(200));
    Map<String, String> filesBefore = snapshot();

    CheckOutcome check = sqliteCheck();

    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.detail()).startsWith(db() + " cannot be read as a SQLite database: ");
    assertThat(check.fix()).contains(db().toString());
    assertThat(snapshot()).isEqualTo(filesBefore);
  }
}

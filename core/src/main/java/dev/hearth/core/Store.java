package dev.hearth.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * hearth's SQLite database: WAL journal synced at every commit ({@code synchronous=FULL}), a busy
 * timeout, foreign keys on, and the schema migrated to the latest version when opened. One
 * connection, used by one caller at a time; SQLite serialises writers anyway, and WAL lets other
 * processes (doctor, a second CLI) read meanwhile.
 */
public final class Store implements AutoCloseable {
  public static final Duration BUSY_TIMEOUT = Duration.ofSeconds(10);

  private final Path file;
  private final Connection connection;
  private final ReentrantLock lock = new ReentrantLock();

  /** Whether a {@link #write} is running; guarded by {@link #lock}. */
  private boolean inTransaction;

  private Store(Path file, Connection connection) {
    this.file = file;
    this.connection = connection;
  }

  /** Opens (creating if needed) the database and applies hearth's {@link Schema}. */
  public static Store open(Path file) {
    return open(file, Schema.MIGRATIONS);
  }

  /**
   * Opens the database and applies the given migrations that it does not have yet.
   *
   * @throws StoreException naming the file when it cannot be opened, is newer than the migrations
   *     know, or a migration fails (that migration is rolled back)
   */
  public static Store open(Path file, List<Migration> migrations) {
    checkOrdered(migrations);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new StoreException("cannot create the folder of database " + file + ": " + e, e);
    }
    SQLiteConfig cfg = new SQLiteConfig();
    cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
    // FULL, not WAL's usual NORMAL: every commit is on disk when it returns, so a power cut
    // never takes back a row that files were made or removed for (ARCHITECTURE.md, "Decisions").
    cfg.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    cfg.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
    cfg.enforceForeignKeys(true);
    Connection c;
    try {
      c = cfg.createConnection("jdbc:sqlite:" + file);
    } catch (SQLException e) {
      throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
    }
    Store store = new Store(file, c);
    try {
      store.migrate(migrations);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  private static void checkOrdered(List<Migration> migrations) {
    for (int i = 0; i < migrations.size(); i++) {
      if (migrations.get(i).version() != i + 1) {
        throw new IllegalArgumentException(
            "migrations must be numbered 1, 2, 3, ... without gaps; found "
                + migrations.get(i).version()
                + " at position "
                + (i + 1));
      }
    }
  }

  private void migrate(List<Migration> migrations) {
    checkNotNewer(schemaVersion(), migrations);
    for (Migration m : migrations) {
      write(
          c -> {
            // Read again under the write lock: another process may have migrated meanwhile.
            int current = schemaVersion();
            checkNotNewer(current, migrations);
            if (current >= m.version()) {
              return null;
            }
            try (Statement st = c.createStatement()) {
              for (String sql : m.statements()) {
                st.execute(sql);
              }
              st.execute("PRAGMA user_version = " + m.version());
            } catch (SQLException e) {
              throw new StoreException(
                  "database "
                      + file
                      + ": migration "
                      + m.version()
                      + " ("
                      + m.description()
                      + ") failed: "
                      + e.getMessage(),
                  e);
            }
            return null;
          });
    }
  }

  private void checkNotNewer(int current, List<Migration> migrations) {
    if (current > migrations.size()) {
      throw new StoreException(
          "database "
              + file
              + " has schema version "
              + current
              + ", newer than this hearth knows ("
              + migrations.size()
              + "): upgrade hearth or point state_dir elsewhere");
    }
  }

  /** The schema version recorded in the database. */
  public int schemaVersion() {
    return read(
        c -> {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
          }
        });
  }

  public Path file() {
    return file;
  }

  /** Runs read-only work with the connection. */
  public <T> T read(SqlFunction<T> work) {
    lock.lock();
    try {
      return work.apply(connection);
    } catch (SQLException e) {
      throw new StoreException("database " + file + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs work in a transaction: committed when it returns, rolled back when it throws. Called from
   * within other work, it joins that transaction. The work must not commit or roll back itself.
   */
  public <T> T write(SqlFunction<T> work) {
    lock.lock();
    try {
      if (inTransaction) {
        return work.apply(connection);
      }
      // IMMEDIATE takes the write lock up front, waiting up to the busy timeout: a deferred
      // transaction that reads and then writes fails at once when another connection wrote first.
      execute("BEGIN IMMEDIATE");
      inTransaction = true;
      try {
        T result = work.apply(connection);
        execute("COMMIT");
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackAfter(e);
        throw e;
      } finally {
        inTransaction = false;
      }
    } catch (SQLException e) {
      throw new StoreException("database " + file + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  private void execute(String sql) throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.execute(sql);
    }
  }

  private void rollbackAfter(Throwable failure) {
    try {
      execute("ROLLBACK");
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      connection.close();
    } catch (SQLException e) {
      throw new StoreException("database " + file + ": close failed: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }
}

package dev.hearth.core.testing;

import dev.hearth.core.Store;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.sqlite.SQLiteConnection;

/**
 * Writes every commit of a {@link Store} to a journal as {@code "commit <tables>"} (the tables its
 * rows changed, sorted), next to {@link RecordingFileSync}'s syncs: a test can then check that a
 * file was synced before the row that owns it was committed.
 */
public final class StoreJournal {
  private StoreJournal() {}

  /** Starts recording the store's commits into {@code journal} (a synchronised list). */
  public static void record(Store store, List<String> journal) {
    store.read(
        c -> {
          SQLiteConnection sqlite = c.unwrap(SQLiteConnection.class);
          Set<String> tables = new TreeSet<>();
          sqlite.addUpdateListener(
              (type, database, table, rowId) -> {
                synchronized (tables) {
                  tables.add(table);
                }
              });
          sqlite.addCommitListener(
              new org.sqlite.SQLiteCommitListener() {
                @Override
                public void onCommit() {
                  synchronized (tables) {
                    if (!tables.isEmpty()) {
                      journal.add("commit " + String.join(",", tables));
                    }
                    tables.clear();
                  }
                }

                @Override
                public void onRollback() {
                  synchronized (tables) {
                    tables.clear();
                  }
                }
              });
          return null;
        });
  }
}

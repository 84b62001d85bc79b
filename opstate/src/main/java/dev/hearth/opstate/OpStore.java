package dev.hearth.opstate;

import dev.hearth.core.Store;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Operations in hearth's database (table {@code operations}), so that {@code op show} works after a
 * daemon restart. A {@link Registry} writes each operation when it starts and again when it ends;
 * an operation still stored as running after a restart was cut short by a crash, and {@link
 * #markInterrupted} records it as failed.
 */
public final class OpStore {
  /** The failure reason of operations that a daemon restart cut short. */
  public static final String INTERRUPTED_REASON = "interrupted by daemon restart";

  private static final String COLUMNS =
      "id, kind, target, state, stage, percent, error_stage, error_message, started_at,"
          + " finished_at, result, log_tail";

  private final Store store;

  public OpStore(Store store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * Marks every operation stored as running as failed at its stage with {@link
   * #INTERRUPTED_REASON}. The daemon calls this once at start, before any registry starts work.
   *
   * @return the operations it marked, as now stored
   */
  public List<OpSnapshot> markInterrupted(Instant now) {
    return store.write(
        c -> {
          List<OpSnapshot> running = query(c, "state = 'running'", List.of());
          List<OpSnapshot> marked = new ArrayList<>();
          for (OpSnapshot s : running) {
            OpSnapshot failed =
                new OpSnapshot(
                    s.id(),
                    s.kind(),
                    s.target(),
                    OpState.FAILED,
                    s.stage(),
                    s.percent(),
                    s.log(),
                    s.logCount(),
                    Optional.of(new OpError(s.stage(), INTERRUPTED_REASON)),
                    s.startedAt(),
                    Optional.of(now),
                    s.result(),
                    s.cancelRequested(),
                    0);
            upsert(c, failed);
            marked.add(failed);
          }
          return marked;
        });
  }

  /**
   * Inserts or updates the stored row of an operation, unless the stored row has already ended: a
   * late write cannot undo an end, nor revive an op that {@link #markInterrupted} failed.
   */
  void save(OpSnapshot snapshot) {
    store.write(
        c -> {
          upsert(c, snapshot);
          return null;
        });
  }

  /** Stored operations of the given kinds whose id starts with {@code prefix}. */
  List<OpSnapshot> findByPrefix(String prefix, Collection<String> kinds) {
    List<Object> args = new ArrayList<>();
    args.add(prefix);
    args.add(prefix);
    args.addAll(kinds);
    return store.read(c -> query(c, "substr(id, 1, length(?)) = ? AND " + kindIn(kinds), args));
  }

  /** Finished operations of the given kinds that ended at or after {@code since}. */
  List<OpSnapshot> listFinishedSince(Instant since, Collection<String> kinds) {
    List<Object> args = new ArrayList<>();
    args.add(since.toEpochMilli());
    args.addAll(kinds);
    return store.read(
        c -> query(c, "finished_at IS NOT NULL AND finished_at >= ? AND " + kindIn(kinds), args));
  }

  /** Deletes finished operations of the given kinds that ended at or before {@code cutoff}. */
  int deleteFinishedBefore(Instant cutoff, Collection<String> kinds) {
    return store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "DELETE FROM operations WHERE finished_at IS NOT NULL AND finished_at <= ? AND "
                      + kindIn(kinds))) {
            List<Object> args = new ArrayList<>();
            args.add(cutoff.toEpochMilli());
            args.addAll(kinds);
            bind(st, args);
            return st.executeUpdate();
          }
        });
  }

  private static String kindIn(Collection<String> kinds) {
    if (kinds.isEmpty()) {
      return "0";
    }
    return "kind IN (" + String.join(", ", Collections.nCopies(kinds.size(), "?")) + ")";
  }

  private static void upsert(Connection c, OpSnapshot s) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO operations ("
                + COLUMNS
                + ")"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (id) DO UPDATE SET state = excluded.state,"
                + " stage = excluded.stage, percent = excluded.percent,"
                + " error_stage = excluded.error_stage, error_message = excluded.error_message,"
                + " finished_at = excluded.finished_at, result = excluded.result,"
                + " log_tail = excluded.log_tail"
                + " WHERE operations.state = 'running'")) {
      st.setString(1, s.id());
      st.setString(2, s.kind());
      st.setString(3, s.target());
      st.setString(4, s.state().wireName());
      st.setString(5, s.stage());
      if (s.percent().isPresent()) {
        st.setInt(6, s.percent().getAsInt());
      } else {
        st.setNull(6, Types.INTEGER);
      }
      st.setString(7, s.error().map(OpError::stage).orElse(null));
      st.setString(8, s.error().map(OpError::message).orElse(null));
      st.setLong(9, s.startedAt().toEpochMilli());
      if (s.finishedAt().isPresent()) {
        st.setLong(10, s.finishedAt().get().toEpochMilli());
      } else {
        st.setNull(10, Types.INTEGER);
      }
      st.setString(11, s.result().orElse(null));
      st.setString(12, String.join("\n", s.log()));
      st.executeUpdate();
    }
  }

  private static List<OpSnapshot> query(Connection c, String where, List<Object> args)
      throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement("SELECT " + COLUMNS + " FROM operations WHERE " + where)) {
      bind(st, args);
      List<OpSnapshot> found = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          found.add(fromRow(rs));
        }
      }
      return found;
    }
  }

  private static void bind(PreparedStatement st, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      st.setObject(i + 1, args.get(i));
    }
  }

  private static OpSnapshot fromRow(ResultSet rs) throws SQLException {
    int percent = rs.getInt("percent");
    OptionalInt maybePercent = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(percent);
    String errorStage = rs.getString("error_stage");
    String errorMessage = rs.getString("error_message");
    Optional<OpError> error =
        errorStage == null || errorMessage == null
            ? Optional.empty()
            : Optional.of(new OpError(errorStage, errorMessage));
    long finishedAt = rs.getLong("finished_at");
    Optional<Instant> maybeFinishedAt =
        rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(finishedAt));
    // An empty tail reads back as no lines (a lone empty line is not told apart).
    String tail = rs.getString("log_tail");
    List<String> log = tail.isEmpty() ? List.of() : Arrays.asList(tail.split("\n", -1));
    String state = rs.getString("state");
    return new OpSnapshot(
        rs.getString("id"),
        rs.getString("kind"),
        rs.getString("target"),
        OpState.fromWireName(state),
        rs.getString("stage"),
        maybePercent,
        log,
        log.size(),
        error,
        Instant.ofEpochMilli(rs.getLong("started_at")),
        maybeFinishedAt,
        Optional.ofNullable(rs.getString("result")),
        false,
        0);
  }
}

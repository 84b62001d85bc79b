package dev.hearth.daemon.internal.workspace;

import dev.hearth.core.Store;
import dev.hearth.daemon.Workspace;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code workspaces} table; rows are keyed by VM id and name, and carry the VM's name. */
final class WorkspaceRows {
  private final Store store;

  WorkspaceRows(Store store) {
    this.store = store;
  }

  /** Inserts the row; false when the VM has a workspace of that name already. */
  boolean insert(String vmId, Workspace w) {
    return store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "INSERT OR IGNORE INTO workspaces (vm_id, name, guest_path, host_path, branch,"
                      + " base_commit, imported_at) VALUES (?,?,?,?,?,?,?)")) {
            st.setString(1, vmId);
            st.setString(2, w.name());
            st.setString(3, w.guestPath());
            st.setString(4, w.hostPath().toString());
            st.setString(5, w.branch());
            st.setString(6, w.baseCommit());
            st.setLong(7, w.importedAt().toEpochMilli());
            return st.executeUpdate() == 1;
          }
        });
  }

  List<Workspace> list(String vmId, String vmName) {
    return store.read(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "SELECT name, guest_path, host_path, branch, base_commit, imported_at"
                      + " FROM workspaces WHERE vm_id = ? ORDER BY name")) {
            st.setString(1, vmId);
            List<Workspace> rows = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                rows.add(row(rs, vmName));
              }
            }
            return rows;
          }
        });
  }

  Optional<Workspace> find(String vmId, String vmName, String name) {
    return list(vmId, vmName).stream().filter(w -> w.name().equals(name)).findFirst();
  }

  /** Forgets every workspace of the VM. */
  int deleteAll(String vmId) {
    return store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement("DELETE FROM workspaces WHERE vm_id = ?")) {
            st.setString(1, vmId);
            return st.executeUpdate();
          }
        });
  }

  private static Workspace row(ResultSet rs, String vmName) throws SQLException {
    return new Workspace(
        vmName,
        rs.getString(1),
        rs.getString(2),
        Path.of(rs.getString(3)),
        rs.getString(4),
        rs.getString(5),
        Instant.ofEpochMilli(rs.getLong(6)));
  }
}

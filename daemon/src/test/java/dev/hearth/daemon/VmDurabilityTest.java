package dev.hearth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.Store;
import dev.hearth.core.testing.RecordingFileSync;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a create makes is synced before the row that names it is committed (the copy and its folder
 * before the row names the disk; the disk after the identity stage before the VM is complete), and
 * reconcile moves a disk file no row names aside instead of deleting it.
 */
class VmDurabilityTest {
  @TempDir Path dir;
  private VmFixture fx;

  @AfterEach
  void tearDown() throws Exception {
    if (fx != null) {
      fx.close();
      VmAssertions.killLeftoverFakes(fx);
    }
  }

  @Test
  void theDiskAndItsFolderAreSyncedBeforeTheRowThatNamesThemIsCommitted() throws Exception {
    fx = new VmFixture(dir);
    List<String> rowAtSync = Collections.synchronizedList(new ArrayList<>());
    RecordingFileSync sync =
        new RecordingFileSync()
            .before(
                p -> {
                  String what = what(p);
                  if (!what.isEmpty()) {
                    rowAtSync.add(what + ": " + row("web"));
                  }
                });
    fx.start(fx.seams().withFileSync(sync));

    JsonNode last = fx.createAndWait("web", "");

    assertThat(last.path("state").asText()).isEqualTo("succeeded");
    assertThat(rowAtSync)
        .containsExactly(
            "the vms folder: creating, no disk",
            "the copy: creating, no disk",
            "the VM folder: creating, no disk",
            "the disk: creating, disk");
    assertThat(row("web")).isEqualTo("running, disk");
  }

  @Test
  void reconcileQuarantinesADiskFileThatNoRowNames() throws Exception {
    fx = new VmFixture(dir).start();
    JsonNode last = fx.createAndWait("web", "\"no_start\": true");
    assertThat(last.path("state").asText()).isEqualTo("succeeded");
    String id = fx.call("vm.show", "{\"vm\": \"web\"}").path("id").asText();
    Path disk = fx.layout.vmDir(id).resolve("rootfs.ext4");
    Files.writeString(disk, "the guest's data");
    fx.stopDaemon();
    // A row that lost its disk (a failed create's undo, say) while the file stayed.
    try (Store store = Store.open(fx.layout.database())) {
      store.write(
          c -> {
            try (PreparedStatement st =
                c.prepareStatement(
                    "UPDATE vms SET state = 'error', root_disk = NULL WHERE name = 'web'")) {
              return st.executeUpdate();
            }
          });
    }

    fx.start();

    assertThat(disk).doesNotExist();
    try (Stream<Path> entries = Files.list(fx.layout.quarantineDir())) {
      List<Path> moved = entries.toList();
      assertThat(moved).hasSize(1);
      assertThat(moved.get(0).getFileName().toString()).endsWith("-disk-" + id + "-rootfs.ext4");
      assertThat(moved.get(0)).hasContent("the guest's data");
    }
    assertThat(fx.call("vm.show", "{\"vm\": \"web\"}").path("state").asText()).isEqualTo("error");
    fx.call("vm.delete", "{\"vm\": \"web\", \"force\": true}");
  }

  private String what(Path p) {
    if (p.equals(fx.layout.vmsDir())) {
      return "the vms folder";
    }
    if (fx.layout.vmsDir().equals(p.getParent())) {
      return "the VM folder";
    }
    String name = p.getFileName().toString();
    if (name.equals("rootfs.ext4.partial")) {
      return "the copy";
    }
    if (name.equals("rootfs.ext4") && p.startsWith(fx.layout.vmsDir())) {
      return "the disk";
    }
    return "";
  }

  /** The VM's state and whether its row names a disk, read on a connection of the test's own. */
  private String row(String name) {
    try (Store store = Store.open(fx.layout.database())) {
      return store.read(
          c -> {
            try (PreparedStatement st =
                c.prepareStatement("SELECT state, root_disk FROM vms WHERE name = ?")) {
              st.setString(1, name);
              try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                  return "no row";
                }
                return rs.getString(1) + ", " + (rs.getString(2) == null ? "no disk" : "disk");
              }
            }
          });
    }
  }
}

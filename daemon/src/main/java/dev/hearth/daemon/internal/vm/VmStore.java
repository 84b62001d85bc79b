package dev.hearth.daemon.internal.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.core.Store;
import dev.hearth.core.rpc.Wire;
import dev.hearth.daemon.DaemonException;
import dev.hearth.daemon.VmState;
import dev.hearth.dmsnap.LoopDevice;
import dev.hearth.dmsnap.ProvisionerKind;
import dev.hearth.dmsnap.RootDisk;
import dev.hearth.fcproc.VmmKind;
import dev.hearth.fcproc.process.ProcessIdentity;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The {@code vms} table. Every method is one statement or one transaction. */
final class VmStore {
  private static final String COLUMNS =
      "id, name, state, ip, mac, tap, image, vcpus, memory_mib, disk_size_bytes, provisioner,"
          + " created_at, pid, pid_start_time, root_disk, error, boot_args, vmm";

  private final Store store;

  /**
   * States the database refused to record (a full disk) after they had happened: each VM's true
   * state, which reads return in place of its stale row until a write of the row succeeds.
   */
  private final Map<String, Vm> unrecorded = new ConcurrentHashMap<>();

  VmStore(Store store) {
    this.store = store;
  }

  /** Inserts a new VM; the caller has checked name, address and TAP under createVmLock. */
  void insert(Vm vm) {
    store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "INSERT INTO vms ("
                      + COLUMNS
                      + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            bind(st, vm);
            return st.executeUpdate();
          }
        });
  }

  /** Writes every column of an existing VM. */
  void update(Vm vm) {
    store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "UPDATE vms SET id = ?, name = ?, state = ?, ip = ?, mac = ?, tap = ?, image = ?,"
                      + " vcpus = ?, memory_mib = ?, disk_size_bytes = ?, provisioner = ?,"
                      + " created_at = ?, pid = ?, pid_start_time = ?, root_disk = ?, error = ?,"
                      + " boot_args = ?, vmm = ? WHERE id = ?")) {
            bind(st, vm);
            st.setString(19, vm.id());
            return st.executeUpdate();
          }
        });
    unrecorded.remove(vm.id());
  }

  /**
   * Keeps {@code vm}, whose {@link #update} failed, as what reads return for it: the state change
   * has happened (a process killed or started), only its record is missing.
   */
  void keepUnrecorded(Vm vm) {
    unrecorded.put(vm.id(), vm);
  }

  /**
   * Marks a running VM stopped when its process is the recorded one, for a guest that went down by
   * itself; no lock needed, since the row changes only if nobody else changed it.
   */
  boolean markExited(Vm vm) {
    ProcessIdentity p = vm.process().orElseThrow();
    Vm kept = unrecorded.get(vm.id());
    if (kept != null) {
      // Its row is behind (see keepUnrecorded): the kept state is the one that changes.
      return kept.state() == VmState.RUNNING
          && kept.process().equals(vm.process())
          && unrecorded.replace(
              vm.id(), kept, kept.withState(VmState.STOPPED).withProcess(Optional.empty()));
    }
    return store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "UPDATE vms SET state = 'stopped', pid = NULL, pid_start_time = NULL"
                      + " WHERE id = ? AND state = 'running' AND pid = ? AND pid_start_time = ?")) {
            st.setString(1, vm.id());
            st.setInt(2, p.pid());
            st.setLong(3, p.startTime());
            return st.executeUpdate() == 1;
          }
        });
  }

  /**
   * Pins the VM's SSH host key (an OpenSSH public key line). Not part of {@link #update}, which
   * writes the {@link Vm} record's columns only, so that no update can undo a pin.
   */
  void pinHostKey(String id, String publicKeyLine) {
    store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement("UPDATE vms SET host_key = ? WHERE id = ?")) {
            st.setString(1, publicKeyLine);
            st.setString(2, id);
            return st.executeUpdate();
          }
        });
  }

  /** Pins the key a VM without one showed at first contact; a pinned key is never replaced. */
  void pinHostKeyIfNone(String name, String publicKeyLine) {
    store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement(
                  "UPDATE vms SET host_key = ? WHERE name = ? AND host_key IS NULL")) {
            st.setString(1, publicKeyLine);
            st.setString(2, name);
            return st.executeUpdate();
          }
        });
  }

  /** A VM's name and pinned host key (empty when none is pinned yet). */
  record HostKey(String vm, Optional<String> publicKeyLine) {}

  /** The VM that has this address, with its pinned host key. */
  Optional<HostKey> hostKeyByIp(String ip) {
    return store.read(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement("SELECT name, host_key FROM vms WHERE ip = ?")) {
            st.setString(1, ip);
            try (ResultSet rs = st.executeQuery()) {
              return rs.next()
                  ? Optional.of(
                      new HostKey(
                          rs.getString("name"), Optional.ofNullable(rs.getString("host_key"))))
                  : Optional.<HostKey>empty();
            }
          }
        });
  }

  /**
   * Records the VM's egress policy (canonical text). Not part of {@link #update}, like the host
   * key: only create and {@code vm.egress} change it.
   */
  void setEgress(String id, String policy) {
    store.write(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement("UPDATE vms SET egress = ? WHERE id = ?")) {
            st.setString(1, policy);
            st.setString(2, id);
            return st.executeUpdate();
          }
        });
  }

  /** The VM's egress policy text; {@code open} for a VM made before egress policies. */
  String egress(String id) {
    return store.read(
        c -> {
          try (PreparedStatement st = c.prepareStatement("SELECT egress FROM vms WHERE id = ?")) {
            st.setString(1, id);
            try (ResultSet rs = st.executeQuery()) {
              String policy = rs.next() ? rs.getString("egress") : null;
              return policy == null ? "open" : policy;
            }
          }
        });
  }

  void delete(String id) {
    store.write(
        c -> {
          try (PreparedStatement st = c.prepareStatement("DELETE FROM vms WHERE id = ?")) {
            st.setString(1, id);
            return st.executeUpdate();
          }
        });
    unrecorded.remove(id);
  }

  Optional<Vm> find(String id) {
    List<Vm> found = query("WHERE id = ?", id);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  Optional<Vm> findByName(String name) {
    List<Vm> found = query("WHERE name = ?", name);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  List<Vm> findByIdPrefix(String prefix) {
    return query("WHERE substr(id, 1, ?) = ? ORDER BY id", prefix.length(), prefix);
  }

  /** Every VM, by name. */
  List<Vm> list() {
    return query("ORDER BY name");
  }

  private List<Vm> query(String where, Object... args) {
    return store.read(
        c -> {
          try (PreparedStatement st =
              c.prepareStatement("SELECT " + COLUMNS + " FROM vms " + where)) {
            for (int i = 0; i < args.length; i++) {
              st.setObject(i + 1, args[i]);
            }
            List<Vm> vms = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                Vm row = read(rs);
                vms.add(unrecorded.getOrDefault(row.id(), row));
              }
            }
            return vms;
          }
        });
  }

  private static void bind(PreparedStatement st, Vm vm) throws SQLException {
    st.setString(1, vm.id());
    st.setString(2, vm.name());
    st.setString(3, vm.state().wireName());
    st.setString(4, vm.ip());
    st.setString(5, vm.mac());
    st.setString(6, vm.tap());
    st.setString(7, vm.image());
    st.setInt(8, vm.vcpus());
    st.setInt(9, vm.memoryMib());
    st.setLong(10, vm.diskSizeBytes());
    st.setString(11, vm.provisioner());
    st.setLong(12, vm.createdAt().toEpochMilli());
    if (vm.process().isPresent()) {
      st.setInt(13, vm.process().get().pid());
      st.setLong(14, vm.process().get().startTime());
    } else {
      st.setNull(13, Types.INTEGER);
      st.setNull(14, Types.INTEGER);
    }
    st.setString(15, vm.rootDisk().map(VmStore::diskJson).orElse(null));
    st.setString(16, vm.error().orElse(null));
    st.setString(17, vm.bootArgs());
    st.setString(18, vm.vmm().map(VmmKind::wireName).orElse(null));
  }

  private static Vm read(ResultSet rs) throws SQLException {
    int pid = rs.getInt("pid");
    Optional<ProcessIdentity> process =
        rs.wasNull()
            ? Optional.empty()
            : Optional.of(new ProcessIdentity(pid, rs.getLong("pid_start_time")));
    String disk = rs.getString("root_disk");
    return new Vm(
        rs.getString("id"),
        rs.getString("name"),
        VmState.fromWireName(rs.getString("state")),
        rs.getString("ip"),
        rs.getString("mac"),
        rs.getString("tap"),
        rs.getString("image"),
        rs.getInt("vcpus"),
        rs.getInt("memory_mib"),
        rs.getLong("disk_size_bytes"),
        rs.getString("provisioner"),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        process,
        disk == null ? Optional.empty() : Optional.of(disk(disk)),
        Optional.ofNullable(rs.getString("error")),
        rs.getString("boot_args"),
        Optional.ofNullable(rs.getString("vmm")).flatMap(VmmKind::fromWireName));
  }

  static String diskJson(RootDisk disk) {
    ObjectNode o =
        Wire.object()
            .put("vm_id", disk.vmId())
            .put("kind", disk.kind().configName())
            .put("path", disk.path().toString())
            .put("size_bytes", disk.sizeBytes())
            .put("file", disk.file().toString());
    ArrayNode dm = o.putArray("dm_devices");
    disk.dmDevices().forEach(dm::add);
    ArrayNode loops = o.putArray("loops");
    for (LoopDevice loop : disk.loops()) {
      loops
          .addObject()
          .put("device", loop.device())
          .put("backing_file", loop.backingFile().toString());
    }
    return o.toString();
  }

  static RootDisk disk(String json) {
    JsonNode o;
    try {
      o = Wire.mapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new DaemonException("a stored root disk is not valid JSON: " + json, e);
    }
    List<String> dm = new ArrayList<>();
    o.path("dm_devices").forEach(n -> dm.add(n.asText()));
    List<LoopDevice> loops = new ArrayList<>();
    o.path("loops")
        .forEach(
            n ->
                loops.add(
                    new LoopDevice(
                        n.path("device").asText(), Path.of(n.path("backing_file").asText()))));
    return new RootDisk(
        o.path("vm_id").asText(),
        ProvisionerKind.fromConfigName(o.path("kind").asText())
            .orElseThrow(() -> new DaemonException("unknown provisioner in stored disk: " + json)),
        Path.of(o.path("path").asText()),
        o.path("size_bytes").asLong(),
        Path.of(o.path("file").asText()),
        dm,
        loops);
  }
}

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
                      + " VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")),
          // Times are epoch milliseconds so that they sort and compare as numbers.
          new Migration(
              2,
              "asynchronous operations (opstate)",
              List.of(
                  "CREATE TABLE operations ("
                      + "id TEXT PRIMARY KEY,"
                      + " kind TEXT NOT NULL,"
                      + " target TEXT NOT NULL,"
                      + " state TEXT NOT NULL"
                      + " CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),"
                      + " stage TEXT NOT NULL,"
                      + " percent INTEGER CHECK (percent BETWEEN 0 AND 100),"
                      + " error_stage TEXT,"
                      + " error_message TEXT,"
                      + " started_at INTEGER NOT NULL,"
                      + " finished_at INTEGER,"
                      + " result TEXT,"
                      + " log_tail TEXT NOT NULL DEFAULT '')",
                  "CREATE INDEX operations_finished_at ON operations(finished_at)")),
          // One row per VM from its reserve stage on; the UNIQUE columns make name, guest address
          // and TAP reservations hold even against a bug in the daemon's own locking.
          new Migration(
              3,
              "virtual machines",
              List.of(
                  "CREATE TABLE vms ("
                      + "id TEXT PRIMARY KEY,"
                      + " name TEXT NOT NULL UNIQUE,"
                      + " state TEXT NOT NULL CHECK (state IN"
                      + " ('creating', 'starting', 'running', 'stopping', 'stopped', 'error')),"
                      + " ip TEXT NOT NULL UNIQUE,"
                      + " mac TEXT NOT NULL,"
                      + " tap TEXT NOT NULL UNIQUE,"
                      + " image TEXT NOT NULL,"
                      + " vcpus INTEGER NOT NULL,"
                      + " memory_mib INTEGER NOT NULL,"
                      + " disk_size_bytes INTEGER NOT NULL,"
                      + " provisioner TEXT NOT NULL,"
                      + " created_at INTEGER NOT NULL,"
                      + " pid INTEGER,"
                      + " pid_start_time INTEGER,"
                      + " root_disk TEXT,"
                      + " error TEXT,"
                      + " boot_args TEXT NOT NULL)")),
          // What ran the VM at its last boot (firecracker or qemu), so that vm show stays right
          // across daemon restarts; NULL until the first boot.
          new Migration(4, "the VMM of each VM", List.of("ALTER TABLE vms ADD COLUMN vmm TEXT")),
          // Each VM's SSH host key (an OpenSSH public key line), written into its disk at the
          // identity stage and checked at every SSH connection; NULL for a VM made before keys
          // were pinned, until its first contact pins the key it shows.
          new Migration(
              5,
              "the pinned SSH host key of each VM",
              List.of("ALTER TABLE vms ADD COLUMN host_key TEXT")),
          // Workspaces imported into VMs (issue 13): forgotten when their VM is deleted.
          new Migration(
              6,
              "workspaces",
              List.of(
                  "CREATE TABLE workspaces ("
                      + "vm_id TEXT NOT NULL,"
                      + " name TEXT NOT NULL,"
                      + " guest_path TEXT NOT NULL,"
                      + " host_path TEXT NOT NULL,"
                      + " branch TEXT NOT NULL,"
                      + " base_commit TEXT NOT NULL,"
                      + " imported_at INTEGER NOT NULL,"
                      + " PRIMARY KEY (vm_id, name))")),
          // Each VM's egress policy (issue 14) in its canonical text, e.g. allow:github.com; NULL
          // for a VM made before egress policies, which is open.
          new Migration(
              7, "the egress policy of each VM", List.of("ALTER TABLE vms ADD COLUMN egress TEXT")),
          // How each running VM's VMM is confined (issue 16): its uid (vm_uid_per_vm hands out
          // the lowest free one), its cgroup and the limits written there; the row goes when the
          // VM stops, releasing the uid.
          new Migration(
              8,
              "the confinement of each running VMM",
              List.of(
                  "CREATE TABLE vm_confinement ("
                      + "vm_id TEXT PRIMARY KEY,"
                      + " uid INTEGER NOT NULL,"
                      + " gid INTEGER NOT NULL,"
                      + " cgroup TEXT NOT NULL,"
                      + " limits TEXT NOT NULL)")));

  /** The version a database has once every migration is applied. */
  public static int latestVersion() {
    return MIGRATIONS.get(MIGRATIONS.size() - 1).version();
  }
}

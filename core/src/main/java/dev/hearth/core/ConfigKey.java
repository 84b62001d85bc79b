package dev.hearth.core;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One configuration key: its TOML name, its default, what values it takes and what it is for. The
 * list {@link #ALL} is the single source of truth for the file format, the defaults and the
 * documentation in {@code packaging/config.toml}.
 */
public enum ConfigKey {
  STATE_DIR(
      "state_dir",
      ConfigType.PATH,
      "/var/lib/hearth",
      "Where hearth keeps its database, images, VM disks and the guest SSH key."),
  RUNTIME_DIR(
      "runtime_dir",
      ConfigType.PATH,
      "/run/hearth",
      "Where the daemon puts its socket (hearth.sock), pid file and the VMs' API sockets."),
  SOCKET_GROUP(
      "socket_group",
      ConfigType.STRING,
      "hearth",
      "Group given to the socket (mode 0660); its members may use hearth. \"\" keeps it to root"
          + " and the daemon's user."),
  LOG_LEVEL(
      "log_level",
      ConfigType.enumOf("error", "warn", "info", "debug", "trace"),
      "info",
      "Daemon log level: error, warn, info, debug or trace."),
  DAEMON_LOG_FILE(
      "daemon_log_file",
      ConfigType.OPTIONAL_PATH,
      "",
      "Where the daemon writes its log; \"\" writes it to stderr (under systemd, the journal,"
          + " which bounds it). A file is kept within daemon_log_max_size."),
  DAEMON_LOG_MAX_SIZE(
      "daemon_log_max_size",
      ConfigType.SIZE,
      "16MiB",
      "Largest size of the daemon's log file (daemon_log_file) with its one rotated copy"
          + " (<file>.1); older lines are dropped beyond it."),
  VMM(
      "vmm",
      ConfigType.enumOf("auto", "firecracker", "qemu"),
      "auto",
      "What runs the VMs: firecracker (needs a working /dev/kvm), qemu (hearth's bundled"
          + " bin/hearth-qemu-firecracker, with KVM when it works, else emulated and slow), or auto"
          + " (firecracker when it is on PATH and KVM works, else qemu). `hearth doctor` says which"
          + " and why."),
  FIRECRACKER_BIN(
      "firecracker_bin",
      ConfigType.OPTIONAL_PATH,
      "",
      "The firecracker binary; \"\" lets vmm choose. When set, it is used as is, whatever vmm"
          + " says."),
  JAILER_BIN(
      "jailer_bin",
      ConfigType.OPTIONAL_PATH,
      "",
      "Firecracker's jailer; \"\" looks for jailer on PATH, then next to the firecracker binary."
          + " When found, each Firecracker VM is started through it: chrooted, as vm_user, in a"
          + " cgroup sized from the VM (not for the QEMU launcher)."),
  JAILER_CHROOT_BASE(
      "jailer_chroot_base",
      ConfigType.OPTIONAL_PATH,
      "",
      "Where the jailer makes each VM's chroot (<base>/firecracker/<vm id>/root); \"\" is"
          + " <state_dir>/jailer. On the state folder's filesystem the VM's files are hard links,"
          + " elsewhere bind mounts."),
  DEFAULT_KERNEL(
      "default_kernel",
      ConfigType.OPTIONAL_PATH,
      "",
      "Kernel (ELF vmlinux) that `image build` uses when --kernel is not given; \"\" takes the"
          + " distribution kernel of the image."),
  TOOL_UID(
      "tool_uid",
      ConfigType.intRange(0, 2147483646),
      "65533",
      "The uid and gid that e2fsprogs (debugfs, e2fsck, resize2fs) run as, with no capabilities and"
          + " no network, when they work on a root disk whose filesystem a guest may have written"
          + " (every VM's, and images promoted from VMs): a number that owns no files and runs"
          + " nothing else on this host. 0 runs them as root (not recommended)."),
  BUILD_TIMEOUT(
      "build_timeout",
      ConfigType.DURATION,
      "30m",
      "How long one `image build` may run in all (debootstrap, packages, the --run script); past"
          + " it the build and every process it started are killed and the build fails."),
  BUILD_RUN_NETWORK(
      "build_run_network",
      ConfigType.enumOf("none", "host"),
      "none",
      "The network of an `image build --run` script: none (a network namespace of its own with"
          + " only loopback; install packages with --packages, which debootstrap fetches) or host"
          + " (the host's network namespace: the script reaches the internet and also the host's"
          + " own services, so only where every socket_group member is trusted)."),
  BUILD_MAX_MEMORY(
      "build_max_memory",
      ConfigType.SIZE,
      "4GiB",
      "Memory that one image build's processes (debootstrap, package scripts, the --run script)"
          + " may use together, in a cgroup of its own: past it the kernel's OOM killer acts"
          + " inside the build, not on the host. Where no cgroup can be made (hearth doctor says)"
          + " builds run unbounded."),
  BUILD_MAX_PROCESSES(
      "build_max_processes",
      ConfigType.intRange(64, 1000000),
      "4096",
      "Processes and threads one image build may have at once, in the same cgroup (a fork bomb"
          + " in a --run script stops there)."),
  VM_UNPRIVILEGED(
      "vm_unprivileged",
      ConfigType.BOOLEAN,
      "true",
      "Run each VM's VMM (the QEMU launcher, or firecracker without the jailer) as vm_user with no"
          + " capabilities, in a mount namespace of its own that shows it only its own files (its"
          + " folder, its image, the API sockets' folder), and in a cgroup of its own bounded by"
          + " the VM's size. false runs VMMs as root without limits: only for stand-ins that"
          + " cannot run unprivileged (tests)."),
  VM_USER(
      "vm_user",
      ConfigType.STRING,
      "hearth-vm",
      "The system user (and its primary group) that VMMs run as (with Firecracker's jailer, its"
          + " --uid and --gid); scripts/start.sh creates hearth-vm. Each VM's disk, logs and TAP"
          + " are given to it while the VM runs."),
  VM_UID_PER_VM(
      "vm_uid_per_vm",
      ConfigType.BOOLEAN,
      "false",
      "Give each running VM a uid of its own from vm_uid_range (group: vm_user's), released"
          + " when the VM stops, so that no two VMMs share a uid."),
  VM_UID_RANGE(
      "vm_uid_range",
      ConfigType.UID_RANGE,
      "1000000000-1000065535",
      "The uids that vm_uid_per_vm hands out, FIRST-LAST: numbers no user or file of this host"
          + " has."),
  VM_CPU_RATIO(
      "vm_cpu_ratio",
      ConfigType.decimalRange(0, 64),
      "1",
      "CPU time a VM's VMM may use, in CPUs per vCPU (cpu.max, or cpu.cfs_quota_us on cgroup"
          + " v1): 1 lets a 2-vCPU VM use two CPUs' worth; 0 sets no CPU limit."),
  VM_MEMORY_OVERHEAD(
      "vm_memory_overhead",
      ConfigType.SIZE,
      "1536MiB",
      "Memory a VM's VMM may use beyond its guest's memory (memory.max = guest memory + this):"
          + " past it the kernel's OOM killer ends that VMM, not another process of the host. The"
          + " default covers QEMU without KVM, whose translation cache alone may take 1 GiB."),
  VM_MAX_PROCESSES(
      "vm_max_processes",
      ConfigType.intRange(16, 1000000),
      "512",
      "Processes and threads one VM's VMM may have at once (pids.max of its cgroup)."),
  VM_DISK_BANDWIDTH(
      "vm_disk_bandwidth",
      ConfigType.SIZE,
      "0",
      "Bytes per second that one VM's disk may move, reads and writes together (Firecracker's"
          + " drive rate limiter, or QEMU's block throttling under the QEMU launcher), e.g."
          + " \"100MiB\"; 0 sets no limit."),
  VM_DISK_IOPS(
      "vm_disk_iops",
      ConfigType.intRange(0, 10000000),
      "0",
      "Disk operations per second that one VM may issue, reads and writes together; 0 sets no"
          + " limit."),
  VM_NET_BANDWIDTH(
      "vm_net_bandwidth",
      ConfigType.SIZE,
      "0",
      "Bytes per second that one VM may send, and again that it may receive, over its network"
          + " interface (Firecracker's rx and tx rate limiters; under the QEMU launcher, which"
          + " cannot throttle a network, nftables limits on the VM's TAP that drop what is over);"
          + " 0 sets no limit."),
  BRIDGE_NAME(
      "bridge_name",
      ConfigType.INTERFACE_NAME,
      "hearth0",
      "Host bridge that the VMs' TAP devices join."),
  BRIDGE_CIDR(
      "bridge_cidr",
      ConfigType.CIDR,
      "10.77.0.1/24",
      "The bridge's address and prefix; the address is the guests' gateway and the name server of"
          + " their resolv.conf (the VM DNS answers there), guests get the lowest free addresses of"
          + " the prefix."),
  VM_TO_VM(
      "vm_to_vm",
      ConfigType.enumOf("deny", "allow"),
      "deny",
      "Whether VMs may reach each other over the bridge: deny (each VM reaches only the gateway"
          + " and, through NAT, the outside) or allow."),
  TAP_POOL_SIZE(
      "tap_pool_size",
      ConfigType.intRange(0, 64),
      "4",
      "TAP devices created ahead of time so that a VM create does not wait for one."),
  TAP_PREFIX(
      "tap_prefix",
      ConfigType.TAP_PREFIX,
      "htap",
      "Start of the names of this daemon's TAP devices (htap0, htap1, ...). At start the daemon"
          + " deletes every TAP of its prefix that no VM of its own uses, so a second daemon on"
          + " the host needs a prefix of its own."),
  NETWORK_TAG(
      "network_tag",
      ConfigType.NETWORK_TAG,
      "hearth",
      "Name of this daemon's nftables tables (ip NAME, bridge NAME, ip NAME_egress), or the"
          + " comment on its iptables rules; the daemon replaces them whole, so a second daemon on"
          + " the host needs a tag of its own."),
  DNS_DOMAIN(
      "dns_domain",
      ConfigType.DOMAIN,
      "hearth.internal",
      "Domain under which the VM DNS answers VM names, <vm>.<dns_domain>; guests also get it as"
          + " their search domain."),
  DNS_HOST_LISTEN(
      "dns_host_listen",
      ConfigType.OPTIONAL_ADDRESS,
      "127.0.0.1:10053",
      "Address and port where the VM DNS also answers the host (UDP and TCP); \"\" turns this"
          + " listener off."),
  WEB_LISTEN_ADDR(
      "web_listen_addr",
      ConfigType.OPTIONAL_LISTEN_ADDRESS,
      "127.0.0.1:7777",
      "Address and port of the read-only web UI (`hearth ui` prints its URL with the token);"
          + " port 0 takes any free port, \"\" turns the web UI off."),
  DISK_PROVISIONER(
      "disk_provisioner",
      ConfigType.enumOf("auto", "dm-snapshot", "copy"),
      "auto",
      "How VM root disks are made: dm-snapshot, copy, or auto (dm-snapshot where device-mapper"
          + " works, else copy)."),
  DEFAULT_VCPUS(
      "default_vcpus",
      ConfigType.intRange(Limits.MIN_VCPUS, Limits.MAX_VCPUS),
      "2",
      "vCPUs of a VM when `vm create` is not given --vcpus."),
  DEFAULT_MEMORY_MIB(
      "default_memory_mib",
      ConfigType.intRange(Limits.MIN_MEMORY_MIB, Limits.MAX_MEMORY_MIB),
      "1024",
      "Memory in MiB of a VM when `vm create` is not given --memory."),
  SSH_WAIT_TIMEOUT(
      "ssh_wait_timeout",
      ConfigType.DURATION,
      "120s",
      "How long `vm create` and `vm start` wait for the guest's SSH server."),
  VMM_START_TIMEOUT(
      "vmm_start_timeout",
      ConfigType.DURATION,
      "30s",
      "How long a boot waits for the VMM to open its API socket before it kills it."),
  STOP_TIMEOUT(
      "stop_timeout",
      ConfigType.DURATION,
      "30s",
      "How long `vm stop` waits for a clean shutdown before it kills the VM."),
  CONSOLE_LOG_MAX_SIZE(
      "console_log_max_size",
      ConfigType.SIZE,
      "16MiB",
      "Largest size of a VM's serial console log; older output is dropped beyond it."),
  VMM_LOG_MAX_SIZE(
      "vmm_log_max_size",
      ConfigType.SIZE,
      "4MiB",
      "Largest size of each of a VM's VMM log (firecracker.log) and metrics file (metrics.json);"
          + " older lines are dropped beyond it."),
  SESSION_LOG_MAX_SIZE(
      "session_log_max_size",
      ConfigType.SIZE,
      "16MiB",
      "Most output a guest session's log keeps on the guest's disk (8KiB at the least); older output"
          + " is dropped (checked every second, so a fast writer may pass it by what it writes in"
          + " two seconds), and `session logs` skips it."),
  OPERATION_RETENTION(
      "operation_retention",
      ConfigType.DURATION,
      "24h",
      "How long finished operations stay listed by `op list`."),
  SHUTDOWN_GRACE(
      "shutdown_grace",
      ConfigType.DURATION,
      "10s",
      "On SIGTERM, how long in-flight requests may take before the daemon closes them."),
  CLIENT_IDLE_TIMEOUT(
      "client_idle_timeout",
      ConfigType.DURATION,
      "10m",
      "A client connection that sends nothing for this long, with no request running, is closed."),
  MAX_CONNECTIONS(
      "max_connections",
      ConfigType.intRange(1, 4096),
      "256",
      "Most client connections served at once, all users together; further ones get a busy"
          + " error."),
  MAX_CONNECTIONS_PER_UID(
      "max_connections_per_uid",
      ConfigType.intRange(1, 4096),
      "32",
      "Most connections one user other than root may hold at once; further ones get a busy error,"
          + " so that one member of socket_group cannot take every slot."),
  ROOT_RESERVED_CONNECTIONS(
      "root_reserved_connections",
      ConfigType.intRange(0, 4095),
      "8",
      "Connection slots only root may take (fewer than max_connections), so that root can always"
          + " reach a daemon that other users keep busy."),
  CLIENT_WRITE_TIMEOUT(
      "client_write_timeout",
      ConfigType.DURATION,
      "30s",
      "How long one write to a client may block; a client that stops reading (its socket full) is"
          + " disconnected after it. A quiet `vm logs --follow` or `op watch` writes a keep-alive"
          + " line every second, so it stays open as long as its client reads, and a client that"
          + " does not read is disconnected once those lines fill its socket."),
  MAX_TOTAL_MEMORY_MIB(
      "max_total_memory_mib",
      ConfigType.AUTO_OR_POSITIVE_INT,
      "auto",
      "Memory in MiB that all VMs that are not stopped may have together; a create or start past"
          + " it is refused. auto: the host's RAM minus a reserve for the host (an eighth of it, at"
          + " least 512 MiB). Stopped VMs do not count: they hold no memory."),
  MAX_TOTAL_VCPUS(
      "max_total_vcpus",
      ConfigType.AUTO_OR_POSITIVE_INT,
      "auto",
      "vCPUs that all VMs that are not stopped may have together; a create or start past it is"
          + " refused. auto: 16 per host CPU (vCPUs are threads; idle guests cost little, and memory is"
          + " the bound that matters). Stopped VMs do not count."),
  MAX_TOTAL_DISK(
      "max_total_disk",
      ConfigType.AUTO_OR_SIZE,
      "auto",
      "Root disk size that all VMs that exist may have together, stopped ones included (their"
          + " disks stay); a create past it is refused. Sizes are the disks' full sizes, even where"
          + " they are sparse. auto: the size of the filesystem holding state_dir."),
  MAX_VM_VCPUS(
      "max_vm_vcpus",
      ConfigType.intRange(Limits.MIN_VCPUS, Limits.MAX_VCPUS),
      Integer.toString(Limits.MAX_VCPUS),
      "Most vCPUs of one VM."),
  MAX_VM_MEMORY_MIB(
      "max_vm_memory_mib",
      ConfigType.AUTO_OR_POSITIVE_INT,
      "auto",
      "Most memory in MiB of one VM. auto: max_total_memory_mib (and at most "
          + Limits.MAX_MEMORY_MIB
          + ")."),
  MAX_VM_DISK_SIZE(
      "max_vm_disk_size",
      ConfigType.AUTO_OR_SIZE,
      "auto",
      "Largest root disk of one VM (`vm create --disk-size`, or the image's size). auto:"
          + " max_total_disk."),
  MAX_IMAGE_BUILD_SIZE(
      "max_image_build_size",
      ConfigType.SIZE,
      "64GiB",
      "Largest rootfs `image build --size` may ask for."),
  MAX_CONCURRENT_BUILDS(
      "max_concurrent_builds",
      ConfigType.intRange(1, 64),
      "2",
      "Most image builds running at once; a further `image build` is refused with a busy"
          + " error until one ends."),
  DEFAULT_EGRESS(
      "default_egress",
      ConfigType.EGRESS,
      "open",
      "Egress policy of a VM when `vm create` is not given --egress: open (anything), none"
          + " (nothing beyond the bridge) or allow:NAME[,NAME...] (domains, *.domain wildcards,"
          + " IPv4 addresses or CIDRs)."),
  DNS_UPSTREAM(
      "dns_upstream",
      ConfigType.ADDRESS_LIST,
      "",
      "Resolvers the VM DNS forwards other names to, each \"ip\" or \"ip:port\" ([ipv6]:port),"
          + " tried in order. []: the host's /etc/resolv.conf name servers, systemd-resolved's"
          + " 127.0.0.53 stub replaced by its upstreams."),
  GUEST_CALL_TIMEOUT(
      "guest_call_timeout",
      ConfigType.DURATION,
      "30s",
      "How long a short call into a guest may take (the session scripts of `session start`,"
          + " `list`, `status`, `kill` and `write`); past it the call is ended with an error naming"
          + " this key. Calls that last as long as their client waits (`vm exec`, copies,"
          + " workspace import and export, `session logs --follow`, `wait`, `attach`) have no"
          + " deadline; every guest call of a VM ends when the VM is stopped or deleted."),
  GUEST_KEEPALIVE(
      "guest_keepalive",
      ConfigType.DURATION,
      "15s",
      "How often the daemon's SSH connections to guests send a keepalive: a guest that answers"
          + " none of 4 in a row (frozen, or its network gone) has the connection closed, and the"
          + " calls on it (an exec, a copy, a follow) end with an error saying so. 0s sends none.");

  public static final List<ConfigKey> ALL = List.of(values());

  /** The value of a key whose default the daemon derives from the host ({@link HostCapacity}). */
  public static final String AUTO = "auto";

  private final String key;
  private final ConfigType type;
  private final String defaultValue;
  private final String description;

  ConfigKey(String key, ConfigType type, String defaultValue, String description) {
    this.key = key;
    this.type = type;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** The snake_case name used in config.toml. */
  public String key() {
    return key;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  /** Whether the value is written as a TOML integer (else as a string). */
  public boolean isInteger() {
    return type.integer;
  }

  /**
   * Whether the value is a TOML array of strings; its canonical text joins the entries with commas,
   * and "" is the empty array.
   */
  public boolean isList() {
    return type.list;
  }

  /** Whether the value is written as a TOML boolean ({@code true} or {@code false}). */
  public boolean isBoolean() {
    return type.bool;
  }

  /** Whether a TOML integer is accepted (integers, and sizes in bytes). */
  public boolean acceptsTomlInteger() {
    return type.integer || type.acceptsInteger;
  }

  /** What the key accepts, for messages and docs. */
  public String expected() {
    return type.expected;
  }

  /**
   * Checks a value and returns it in canonical form.
   *
   * @throws IllegalArgumentException with a reason when the value is not acceptable
   */
  String validate(String value) {
    return type.validator.validate(value);
  }

  /**
   * The entries of a canonical {@link ConfigType#ADDRESS_LIST} value, port 53 where none is given.
   */
  static List<InetSocketAddress> addresses(String canonical) {
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (String entry : canonical.isEmpty() ? new String[0] : canonical.split(",")) {
      addresses.add(ConfigType.socketAddress(entry, 53));
    }
    return List.copyOf(addresses);
  }

  /** Finds a key by its TOML name. */
  public static java.util.Optional<ConfigKey> byKey(String key) {
    return ALL.stream().filter(k -> k.key.equals(key)).findFirst();
  }
}

package dev.hearth.core;

import com.google.common.net.InetAddresses;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One configuration key: its TOML name, its default, what values it takes and what it is for. The
 * list {@link #ALL} is the single source of truth for the file format, the defaults and the
 * documentation in {@code packaging/config.toml}.
 */
public enum ConfigKey {
  STATE_DIR(
      "state_dir",
      Type.PATH,
      "/var/lib/hearth",
      "Where hearth keeps its database, images, VM disks and the guest SSH key."),
  RUNTIME_DIR(
      "runtime_dir",
      Type.PATH,
      "/run/hearth",
      "Where the daemon puts its socket (hearth.sock), pid file and the VMs' API sockets."),
  SOCKET_GROUP(
      "socket_group",
      Type.STRING,
      "hearth",
      "Group given to the socket (mode 0660); its members may use hearth. \"\" keeps it to root"
          + " and the daemon's user."),
  LOG_LEVEL(
      "log_level",
      Type.enumOf("error", "warn", "info", "debug", "trace"),
      "info",
      "Daemon log level: error, warn, info, debug or trace."),
  VMM(
      "vmm",
      Type.enumOf("auto", "firecracker", "qemu"),
      "auto",
      "What runs the VMs: firecracker (needs a working /dev/kvm), qemu (hearth's bundled"
          + " bin/hearth-qemu-firecracker, with KVM when it works, else emulated and slow), or auto"
          + " (firecracker when it is on PATH and KVM works, else qemu). `hearth doctor` says which"
          + " and why."),
  FIRECRACKER_BIN(
      "firecracker_bin",
      Type.OPTIONAL_PATH,
      "",
      "The firecracker binary; \"\" lets vmm choose. When set, it is used as is, whatever vmm"
          + " says."),
  JAILER_BIN(
      "jailer_bin",
      Type.OPTIONAL_PATH,
      "",
      "Firecracker's jailer; \"\" looks for jailer on PATH, then next to the firecracker binary."
          + " When found, each Firecracker VM is started through it: chrooted, as vm_user, in a"
          + " cgroup sized from the VM (not for the QEMU launcher)."),
  JAILER_CHROOT_BASE(
      "jailer_chroot_base",
      Type.OPTIONAL_PATH,
      "",
      "Where the jailer makes each VM's chroot (<base>/firecracker/<vm id>/root); \"\" is"
          + " <state_dir>/jailer. On the state folder's filesystem the VM's files are hard links,"
          + " elsewhere bind mounts."),
  VM_USER(
      "vm_user",
      Type.STRING,
      "hearth-vm",
      "The unprivileged user (not root) the VMM runs as: with the jailer, its --uid and --gid."),
  DEFAULT_KERNEL(
      "default_kernel",
      Type.OPTIONAL_PATH,
      "",
      "Kernel (ELF vmlinux) that `image build` uses when --kernel is not given; \"\" takes the"
          + " distribution kernel of the image."),
  TOOL_UID(
      "tool_uid",
      Type.intRange(0, 2147483646),
      "65533",
      "The uid and gid that e2fsprogs (debugfs, e2fsck, resize2fs) run as, with no capabilities and"
          + " no network, when they work on a root disk whose filesystem a guest may have written"
          + " (every VM's, and images promoted from VMs): a number that owns no files and runs"
          + " nothing else on this host. 0 runs them as root (not recommended)."),
  BUILD_TIMEOUT(
      "build_timeout",
      Type.DURATION,
      "30m",
      "How long one `image build` may run in all (debootstrap, packages, the --run script); past"
          + " it the build and every process it started are killed and the build fails."),
  BUILD_RUN_NETWORK(
      "build_run_network",
      Type.enumOf("none", "host"),
      "none",
      "The network of an `image build --run` script: none (a network namespace of its own with"
          + " only loopback; install packages with --packages, which debootstrap fetches) or host"
          + " (the host's network namespace: the script reaches the internet and also the host's"
          + " own services, so only where every socket_group member is trusted)."),
  BUILD_MAX_MEMORY(
      "build_max_memory",
      Type.SIZE,
      "4GiB",
      "Memory that one image build's processes (debootstrap, package scripts, the --run script)"
          + " may use together, in a cgroup of its own: past it the kernel's OOM killer acts"
          + " inside the build, not on the host. Where no cgroup can be made (hearth doctor says)"
          + " builds run unbounded."),
  BUILD_MAX_PROCESSES(
      "build_max_processes",
      Type.intRange(64, 1000000),
      "4096",
      "Processes and threads one image build may have at once, in the same cgroup (a fork bomb"
          + " in a --run script stops there)."),
  BRIDGE_NAME(
      "bridge_name", Type.INTERFACE_NAME, "hearth0", "Host bridge that the VMs' TAP devices join."),
  BRIDGE_CIDR(
      "bridge_cidr",
      Type.CIDR,
      "10.77.0.1/24",
      "The bridge's address and prefix; the address is the guests' gateway and the name server of"
          + " their resolv.conf (no DNS server answers there yet), guests get the lowest free"
          + " addresses of the prefix."),
  VM_TO_VM(
      "vm_to_vm",
      Type.enumOf("deny", "allow"),
      "deny",
      "Whether VMs may reach each other over the bridge: deny (each VM reaches only the gateway"
          + " and, through NAT, the outside) or allow."),
  TAP_POOL_SIZE(
      "tap_pool_size",
      Type.intRange(0, 64),
      "4",
      "TAP devices created ahead of time so that a VM create does not wait for one."),
  DNS_DOMAIN(
      "dns_domain",
      Type.DOMAIN,
      "hearth.internal",
      "Domain under which the VM DNS answers VM names, <vm>.<dns_domain>; guests also get it as"
          + " their search domain."),
  DNS_HOST_LISTEN(
      "dns_host_listen",
      Type.OPTIONAL_ADDRESS,
      "127.0.0.1:10053",
      "Address and port where the VM DNS also answers the host (UDP and TCP); \"\" turns this"
          + " listener off."),
  WEB_LISTEN_ADDR(
      "web_listen_addr",
      Type.OPTIONAL_ADDRESS,
      "127.0.0.1:7777",
      "Address of a read-only web UI; not used yet (there is no web UI)."),
  DISK_PROVISIONER(
      "disk_provisioner",
      Type.enumOf("auto", "dm-snapshot", "copy"),
      "auto",
      "How VM root disks are made: dm-snapshot, copy, or auto (dm-snapshot where device-mapper"
          + " works, else copy)."),
  DEFAULT_VCPUS(
      "default_vcpus",
      Type.intRange(Limits.MIN_VCPUS, Limits.MAX_VCPUS),
      "2",
      "vCPUs of a VM when `vm create` is not given --vcpus."),
  DEFAULT_MEMORY_MIB(
      "default_memory_mib",
      Type.intRange(Limits.MIN_MEMORY_MIB, Limits.MAX_MEMORY_MIB),
      "1024",
      "Memory in MiB of a VM when `vm create` is not given --memory."),
  SSH_WAIT_TIMEOUT(
      "ssh_wait_timeout",
      Type.DURATION,
      "120s",
      "How long `vm create` and `vm start` wait for the guest's SSH server."),
  STOP_TIMEOUT(
      "stop_timeout",
      Type.DURATION,
      "30s",
      "How long `vm stop` waits for a clean shutdown before it kills the VM."),
  CONSOLE_LOG_MAX_SIZE(
      "console_log_max_size",
      Type.SIZE,
      "16MiB",
      "Largest size of a VM's serial console log; older output is dropped beyond it."),
  OPERATION_RETENTION(
      "operation_retention",
      Type.DURATION,
      "24h",
      "How long finished operations stay listed by `op list`."),
  SHUTDOWN_GRACE(
      "shutdown_grace",
      Type.DURATION,
      "10s",
      "On SIGTERM, how long in-flight requests may take before the daemon closes them."),
  CLIENT_IDLE_TIMEOUT(
      "client_idle_timeout",
      Type.DURATION,
      "10m",
      "A client connection that sends nothing for this long, with no request running, is closed."),
  MAX_CONNECTIONS(
      "max_connections",
      Type.intRange(1, 4096),
      "256",
      "Most client connections served at once, all users together; further ones get a busy"
          + " error."),
  MAX_CONNECTIONS_PER_UID(
      "max_connections_per_uid",
      Type.intRange(1, 4096),
      "32",
      "Most connections one user other than root may hold at once; further ones get a busy error,"
          + " so that one member of socket_group cannot take every slot."),
  ROOT_RESERVED_CONNECTIONS(
      "root_reserved_connections",
      Type.intRange(0, 4095),
      "8",
      "Connection slots only root may take (fewer than max_connections), so that root can always"
          + " reach a daemon that other users keep busy."),
  CLIENT_WRITE_TIMEOUT(
      "client_write_timeout",
      Type.DURATION,
      "30s",
      "How long one write to a client may block; a client that stops reading (its socket full) is"
          + " disconnected after it. A quiet `vm logs --follow` or `op watch` writes a keep-alive"
          + " line every second, so it stays open as long as its client reads, and a client that"
          + " does not read is disconnected once those lines fill its socket."),
  MAX_TOTAL_MEMORY_MIB(
      "max_total_memory_mib",
      Type.AUTO_OR_POSITIVE_INT,
      "auto",
      "Memory in MiB that all VMs that are not stopped may have together; a create or start past"
          + " it is refused. auto: the host's RAM minus a reserve for the host (an eighth of it, at"
          + " least 512 MiB). Stopped VMs do not count: they hold no memory."),
  MAX_TOTAL_VCPUS(
      "max_total_vcpus",
      Type.AUTO_OR_POSITIVE_INT,
      "auto",
      "vCPUs that all VMs that are not stopped may have together; a create or start past it is"
          + " refused. auto: 16 per host CPU (vCPUs are threads; idle guests cost little, and memory is"
          + " the bound that matters). Stopped VMs do not count."),
  MAX_TOTAL_DISK(
      "max_total_disk",
      Type.AUTO_OR_SIZE,
      "auto",
      "Root disk size that all VMs that exist may have together, stopped ones included (their"
          + " disks stay); a create past it is refused. Sizes are the disks' full sizes, even where"
          + " they are sparse. auto: the size of the filesystem holding state_dir."),
  MAX_VM_VCPUS(
      "max_vm_vcpus",
      Type.intRange(Limits.MIN_VCPUS, Limits.MAX_VCPUS),
      Integer.toString(Limits.MAX_VCPUS),
      "Most vCPUs of one VM."),
  MAX_VM_MEMORY_MIB(
      "max_vm_memory_mib",
      Type.AUTO_OR_POSITIVE_INT,
      "auto",
      "Most memory in MiB of one VM. auto: max_total_memory_mib (and at most "
          + Limits.MAX_MEMORY_MIB
          + ")."),
  MAX_VM_DISK_SIZE(
      "max_vm_disk_size",
      Type.AUTO_OR_SIZE,
      "auto",
      "Largest root disk of one VM (`vm create --disk-size`, or the image's size). auto:"
          + " max_total_disk."),
  MAX_IMAGE_BUILD_SIZE(
      "max_image_build_size",
      Type.SIZE,
      "64GiB",
      "Largest rootfs `image build --size` may ask for."),
  MAX_CONCURRENT_BUILDS(
      "max_concurrent_builds",
      Type.intRange(1, 64),
      "2",
      "Most image builds running at once; a further `image build` is refused with a busy"
          + " error until one ends."),
  DEFAULT_EGRESS(
      "default_egress",
      Type.EGRESS,
      "open",
      "Egress policy of a VM when `vm create` is not given --egress: open (anything), none"
          + " (nothing beyond the bridge) or allow:NAME[,NAME...] (domains, *.domain wildcards,"
          + " IPv4 addresses or CIDRs)."),
  DNS_UPSTREAM(
      "dns_upstream",
      Type.ADDRESS_LIST,
      "",
      "Resolvers the VM DNS forwards other names to, each \"ip\" or \"ip:port\" ([ipv6]:port),"
          + " tried in order. []: the host's /etc/resolv.conf name servers, systemd-resolved's"
          + " 127.0.0.53 stub replaced by its upstreams."),
  GUEST_CALL_TIMEOUT(
      "guest_call_timeout",
      Type.DURATION,
      "30s",
      "How long a short call into a guest may take (the session scripts of `session start`,"
          + " `list`, `status`, `kill` and `write`); past it the call is ended with an error naming"
          + " this key. Calls that last as long as their client waits (`vm exec`, copies,"
          + " workspace import and export, `session logs --follow`, `wait`, `attach`) have no"
          + " deadline; every guest call of a VM ends when the VM is stopped or deleted.");

  public static final List<ConfigKey> ALL = List.of(values());

  /** The value of a key whose default the daemon derives from the host ({@link HostCapacity}). */
  public static final String AUTO = "auto";

  private final String key;
  private final Type type;
  private final String defaultValue;
  private final String description;

  ConfigKey(String key, Type type, String defaultValue, String description) {
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

  /** The entries of a canonical {@link Type#ADDRESS_LIST} value, port 53 where none is given. */
  static List<InetSocketAddress> addresses(String canonical) {
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (String entry : canonical.isEmpty() ? new String[0] : canonical.split(",")) {
      addresses.add(Type.socketAddress(entry, 53));
    }
    return List.copyOf(addresses);
  }

  /** Finds a key by its TOML name. */
  public static java.util.Optional<ConfigKey> byKey(String key) {
    return ALL.stream().filter(k -> k.key.equals(key)).findFirst();
  }

  private interface Validator {
    String validate(String value);
  }

  private static final class Type {
    static final Pattern IFNAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}");
    static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    static final Type STRING = new Type("a string", false, v -> v);
    static final Type PATH = new Type("an absolute path", false, Type::absolutePath);
    static final Type OPTIONAL_PATH =
        new Type("an absolute path or \"\"", false, v -> v.isEmpty() ? v : absolutePath(v));
    static final Type DURATION =
        new Type(
            "a duration such as 30s, 5m or 2h", false, v -> Durations.format(Durations.parse(v)));
    static final Type SIZE =
        new Type("a size such as 512M or 16MiB", false, v -> Long.toString(Sizes.parse(v)))
            .withIntegers();
    static final Type AUTO_OR_SIZE =
        new Type(
                "auto, or a size such as 512GiB",
                false,
                v -> v.equalsIgnoreCase(AUTO) ? AUTO : Long.toString(Sizes.parse(v)))
            .withIntegers();
    static final Type AUTO_OR_POSITIVE_INT =
        new Type("auto, or a positive integer", false, Type::autoOrPositiveInt).withIntegers();
    static final Type INTERFACE_NAME =
        new Type("a network interface name of at most 15 characters", false, Type::interfaceName);
    static final Type CIDR =
        new Type("an IPv4 address and prefix such as 10.77.0.1/24", false, Type::cidr);
    static final Type DOMAIN =
        new Type("a DNS domain such as hearth.internal", false, Type::domain);
    static final Type EGRESS = new Type("open, none or allow:NAME[,NAME...]", false, Type::egress);
    static final Type OPTIONAL_ADDRESS =
        new Type("host:port such as 127.0.0.1:7777, or \"\"", false, Type::optionalAddress);
    static final Type ADDRESS_LIST =
        new Type(
                "an array of \"ip\" or \"ip:port\" strings such as [\"1.1.1.1\", \"10.0.0.2:5353\"]",
                false,
                Type::addressList)
            .asList();

    final String expected;
    final boolean integer;
    final Validator validator;
    boolean acceptsInteger;
    boolean list;

    Type(String expected, boolean integer, Validator validator) {
      this.expected = expected;
      this.integer = integer;
      this.validator = validator;
    }

    /** Also takes a TOML integer (written without quotes) for this string-valued type. */
    Type withIntegers() {
      acceptsInteger = true;
      return this;
    }

    /** A TOML array of strings, held as the entries joined with commas. */
    Type asList() {
      list = true;
      return this;
    }

    static String addressList(String v) {
      if (v.isBlank()) {
        return "";
      }
      List<String> entries = new ArrayList<>();
      for (String entry : v.split(",", -1)) {
        String trimmed = entry.strip();
        try {
          InetSocketAddress address = socketAddress(trimmed, 53);
          String host = InetAddresses.toUriString(address.getAddress());
          entries.add(host + ":" + address.getPort());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("entry '" + trimmed + "': " + e.getMessage());
        }
      }
      return String.join(",", entries);
    }

    /**
     * Parses {@code ip}, {@code ip:port}, {@code [ipv6]:port} or a bare IPv6 address; never looks a
     * name up.
     */
    static InetSocketAddress socketAddress(String v, int defaultPort) {
      String host = v;
      String port = null;
      if (v.startsWith("[")) {
        int close = v.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("missing ']'");
        }
        host = v.substring(1, close);
        String rest = v.substring(close + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw new IllegalArgumentException("expected :port after ']'");
          }
          port = rest.substring(1);
        }
      } else if (v.indexOf(':') == v.lastIndexOf(':') && v.indexOf(':') >= 0) {
        host = v.substring(0, v.indexOf(':'));
        port = v.substring(v.indexOf(':') + 1);
      }
      if (!InetAddresses.isInetAddress(host)) {
        throw new IllegalArgumentException("'" + host + "' is not an IP address");
      }
      int n = defaultPort;
      if (port != null) {
        try {
          n = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          n = 0;
        }
        if (n < 1 || n > 65535) {
          throw new IllegalArgumentException("the port must be from 1 to 65535");
        }
      }
      return new InetSocketAddress(InetAddresses.forString(host), n);
    }

    static String autoOrPositiveInt(String v) {
      if (v.equalsIgnoreCase(AUTO)) {
        return AUTO;
      }
      long n;
      try {
        n = Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("neither auto nor an integer");
      }
      if (n < 1 || n > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("out of range 1.." + Integer.MAX_VALUE);
      }
      return Long.toString(n);
    }

    static Type intRange(int min, int max) {
      return new Type(
          "an integer from " + min + " to " + max,
          true,
          v -> {
            int n;
            try {
              n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException("not an integer");
            }
            if (n < min || n > max) {
              throw new IllegalArgumentException("out of range " + min + ".." + max);
            }
            return Integer.toString(n);
          });
    }

    static Type enumOf(String... choices) {
      List<String> list = List.of(choices);
      return new Type(
          "one of " + String.join(", ", list),
          false,
          v -> {
            String lower = v.toLowerCase(Locale.ROOT);
            if (!list.contains(lower)) {
              throw new IllegalArgumentException("not one of " + String.join(", ", list));
            }
            return lower;
          });
    }

    static String absolutePath(String v) {
      if (v.isEmpty() || v.indexOf('\0') >= 0 || !Path.of(v).isAbsolute()) {
        throw new IllegalArgumentException("not an absolute path");
      }
      return Path.of(v).normalize().toString();
    }

    /** The shape only; the daemon parses the entries (dev.hearth.fcproc.net.EgressPolicy). */
    static String egress(String v) {
      String lower = v.strip().toLowerCase(Locale.ROOT);
      if (lower.equals("open") || lower.equals("none")) {
        return lower;
      }
      if (!lower.startsWith("allow:") || lower.length() == "allow:".length()) {
        throw new IllegalArgumentException("not open, none or allow: with at least one name");
      }
      return lower;
    }

    static String interfaceName(String v) {
      if (!IFNAME.matcher(v).matches()) {
        throw new IllegalArgumentException(
            "not an interface name of 1 to 15 letters, digits, '-', '_' or '.'");
      }
      return v;
    }

    static String cidr(String v) {
      int slash = v.indexOf('/');
      if (slash < 0) {
        throw new IllegalArgumentException("missing /prefix");
      }
      String addr = v.substring(0, slash);
      if (!InetAddresses.isInetAddress(addr) || addr.contains(":")) {
        throw new IllegalArgumentException("'" + addr + "' is not an IPv4 address");
      }
      int prefix;
      try {
        prefix = Integer.parseInt(v.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the prefix is not a number");
      }
      if (prefix < 8 || prefix > 30) {
        throw new IllegalArgumentException("the prefix must be from 8 to 30");
      }
      // The address is the guests' gateway, so it must be a host address of its prefix.
      int host = InetAddresses.coerceToInteger(InetAddresses.forString(addr)) & (-1 >>> prefix);
      if (host == 0 || host == -1 >>> prefix) {
        throw new IllegalArgumentException(
            "'"
                + addr
                + "' is the network or broadcast address of /"
                + prefix
                + ", not a host address");
      }
      return addr + "/" + prefix;
    }

    static String domain(String v) {
      String[] labels = v.split("\\.", -1);
      for (String l : labels) {
        if (!LABEL.matcher(l).matches()) {
          throw new IllegalArgumentException("'" + l + "' is not a valid DNS label");
        }
      }
      return v;
    }

    static String optionalAddress(String v) {
      if (v.isEmpty()) {
        return v;
      }
      int colon = v.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("missing :port");
      }
      String host = v.substring(0, colon);
      if (!InetAddresses.isInetAddress(host) && !host.equals("localhost")) {
        throw new IllegalArgumentException("'" + host + "' is not an IP address");
      }
      try {
        int port = Integer.parseInt(v.substring(colon + 1));
        if (port < 1 || port > 65535) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the port must be from 1 to 65535");
      }
      return v;
    }
  }
}

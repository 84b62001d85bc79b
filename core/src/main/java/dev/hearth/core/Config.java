package dev.hearth.core;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * hearth's configuration: every {@link ConfigKey} with its value. Every key has a default, so no
 * file is needed; a file sets some keys, and command-line flags override single keys with {@link
 * #with}. Immutable.
 */
public final class Config {
  /** Where the daemon and the CLI look for a config file when none is named. */
  public static final Path DEFAULT_FILE = Path.of("/etc/hearth/config.toml");

  private static final TomlMapper TOML = new TomlMapper();

  private final Map<ConfigKey, String> values;
  private final Optional<Path> source;

  private Config(Map<ConfigKey, String> values, Optional<Path> source) {
    this.values = values;
    this.source = source;
  }

  /** Every key at its default. */
  public static Config defaults() {
    Map<ConfigKey, String> values = new EnumMap<>(ConfigKey.class);
    for (ConfigKey k : ConfigKey.ALL) {
      values.put(k, k.validate(k.defaultValue()));
    }
    return new Config(values, Optional.empty());
  }

  /**
   * Reads a TOML file.
   *
   * @throws ConfigException naming the file when it is missing or unreadable, and the key and value
   *     when one is unknown or bad
   */
  public static Config load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    return parse(text, file);
  }

  /**
   * Reads the named file, or {@link #DEFAULT_FILE} when it exists, or else returns the defaults. An
   * explicitly named file must exist.
   */
  public static Config loadOrDefaults(Optional<Path> file) {
    return loadOrDefaults(file, DEFAULT_FILE);
  }

  static Config loadOrDefaults(Optional<Path> file, Path defaultFile) {
    if (file.isPresent()) {
      return load(file.get());
    }
    return Files.exists(defaultFile) ? load(defaultFile) : defaults();
  }

  /** Parses TOML text; {@code file} names it in messages. */
  public static Config parse(String toml, Path file) {
    JsonNode root;
    try {
      root = TOML.readTree(toml);
    } catch (JacksonException e) {
      JsonLocation loc = e.getLocation();
      String where = loc != null && loc.getLineNr() > 0 ? " line " + loc.getLineNr() : "";
      throw new ConfigException(
          "config file " + file + where + " is not valid TOML: " + e.getOriginalMessage(), e);
    }
    Map<ConfigKey, String> values = new EnumMap<>(defaults().values);
    if (root == null || root.isMissingNode()) {
      return new Config(values, Optional.of(file));
    }
    Iterator<Map.Entry<String, JsonNode>> fields = root.properties().iterator();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String name = field.getKey();
      JsonNode node = field.getValue();
      ConfigKey key =
          ConfigKey.byKey(name)
              .orElseThrow(
                  () ->
                      new ConfigException(
                          "config file "
                              + file
                              + ": unknown key '"
                              + name
                              + "' (value "
                              + show(node)
                              + "); known keys: "
                              + knownKeys()));
      String raw;
      if (key.isList()) {
        raw = listValue(file, key, node);
      } else if (node.isTextual() && !key.isInteger()) {
        raw = node.textValue();
      } else if (node.isBoolean() && key.isBoolean()) {
        raw = node.asText();
      } else if (node.isIntegralNumber() && key.acceptsTomlInteger()) {
        raw = node.asText();
      } else {
        throw badValue(file, key, show(node), "expected " + key.expected());
      }
      values.put(key, validate(file, key, raw, show(node)));
    }
    checkTogether(file, values);
    return new Config(values, Optional.of(file));
  }

  /** A list key's TOML array of strings, joined with commas for its validator. */
  private static String listValue(Path file, ConfigKey key, JsonNode node) {
    if (!node.isArray()) {
      throw badValue(file, key, show(node), "expected " + key.expected());
    }
    StringBuilder joined = new StringBuilder();
    for (JsonNode element : node) {
      if (!element.isTextual() || element.textValue().contains(",")) {
        throw badValue(
            file, key, show(node), "entry " + show(element) + " is not an \"ip[:port]\" string");
      }
      joined.append(joined.length() > 0 ? "," : "").append(element.textValue());
    }
    return joined.toString();
  }

  /**
   * Returns a copy with one key set, e.g. from a command-line flag.
   *
   * @throws ConfigException naming the key and the value when the value is bad
   */
  public Config with(ConfigKey key, String value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    Map<ConfigKey, String> copy = new EnumMap<>(values);
    copy.put(key, validate(null, key, value, "'" + Printable.of(value) + "'"));
    checkTogether(null, copy);
    return new Config(copy, source);
  }

  /**
   * What no single key can check: the bridge must not be named as one of the TAPs, or the daemon's
   * start would delete it as a TAP no VM uses.
   */
  private static void checkTogether(Path file, Map<ConfigKey, String> values) {
    String bridge = values.get(ConfigKey.BRIDGE_NAME);
    String prefix = values.get(ConfigKey.TAP_PREFIX);
    if (bridge.matches(Pattern.quote(prefix) + "(0|[1-9][0-9]*)")) {
      throw new ConfigException(
          (file == null ? "config" : "config file " + file)
              + ": bridge_name '"
              + bridge
              + "' is a TAP name of tap_prefix '"
              + prefix
              + "' (the prefix and a number), so the daemon would delete the bridge as a TAP no VM"
              + " uses; choose another bridge_name or tap_prefix");
    }
  }

  private static String validate(Path file, ConfigKey key, String raw, String shown) {
    try {
      return key.validate(raw);
    } catch (IllegalArgumentException e) {
      throw badValue(file, key, shown, e.getMessage() + "; expected " + key.expected());
    }
  }

  private static ConfigException badValue(Path file, ConfigKey key, String shown, String why) {
    String where = file == null ? "config" : "config file " + file;
    return new ConfigException(
        where + ": bad value " + shown + " for key '" + key.key() + "': " + why);
  }

  private static String show(JsonNode node) {
    return node.isTextual()
        ? "'" + Printable.of(node.textValue()) + "'"
        : Printable.of(node.toString());
  }

  private static String knownKeys() {
    StringBuilder sb = new StringBuilder();
    for (ConfigKey k : ConfigKey.ALL) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(k.key());
    }
    return sb.toString();
  }

  /** The file this configuration came from, if any. */
  public Optional<Path> source() {
    return source;
  }

  /** The canonical text value of a key. */
  public String get(ConfigKey key) {
    return values.get(key);
  }

  public Path stateDir() {
    return Path.of(get(ConfigKey.STATE_DIR));
  }

  public Path runtimeDir() {
    return Path.of(get(ConfigKey.RUNTIME_DIR));
  }

  /** The socket group, or empty when the socket is kept to root and the daemon's user. */
  public Optional<String> socketGroup() {
    return optional(ConfigKey.SOCKET_GROUP);
  }

  public String logLevel() {
    return get(ConfigKey.LOG_LEVEL);
  }

  /** The daemon's log file, or empty when it logs to stderr. */
  public Optional<Path> daemonLogFile() {
    return optional(ConfigKey.DAEMON_LOG_FILE).map(Path::of);
  }

  public long daemonLogMaxSize() {
    return Long.parseLong(get(ConfigKey.DAEMON_LOG_MAX_SIZE));
  }

  /** {@code auto}, {@code firecracker} or {@code qemu}. */
  public String vmm() {
    return get(ConfigKey.VMM);
  }

  public Optional<Path> firecrackerBin() {
    return optional(ConfigKey.FIRECRACKER_BIN).map(Path::of);
  }

  public Optional<Path> jailerBin() {
    return optional(ConfigKey.JAILER_BIN).map(Path::of);
  }

  /** Where the jailer makes the VMs' chroots: {@code jailer_chroot_base}, else under state_dir. */
  public Path jailerChrootBase() {
    return optional(ConfigKey.JAILER_CHROOT_BASE)
        .map(Path::of)
        .orElse(stateDir().resolve("jailer"));
  }

  public Optional<Path> defaultKernel() {
    return optional(ConfigKey.DEFAULT_KERNEL).map(Path::of);
  }

  /** Who runs e2fsprogs on filesystems a guest may have written. */
  public ToolUser toolUser() {
    return new ToolUser(Integer.parseInt(get(ConfigKey.TOOL_UID)));
  }

  public Duration buildTimeout() {
    return duration(ConfigKey.BUILD_TIMEOUT);
  }

  /** Whether an image build's --run script shares the host's network namespace. */
  public boolean buildRunHostNetwork() {
    return get(ConfigKey.BUILD_RUN_NETWORK).equals("host");
  }

  /**
   * What bounds one image build's processes ({@code build_max_memory}, {@code
   * build_max_processes}).
   */
  public CgroupLimits buildLimits() {
    return new CgroupLimits(
        OptionalLong.of(Long.parseLong(get(ConfigKey.BUILD_MAX_MEMORY))),
        OptionalLong.of(integer(ConfigKey.BUILD_MAX_PROCESSES)),
        OptionalDouble.empty());
  }

  /** Whether VMMs run unprivileged, confined and bounded ({@code vm_unprivileged}). */
  public boolean vmUnprivileged() {
    return get(ConfigKey.VM_UNPRIVILEGED).equals("true");
  }

  /** The user VMMs run as ({@code vm_user}). */
  public String vmUser() {
    return get(ConfigKey.VM_USER);
  }

  /** Whether each running VM gets a uid of its own ({@code vm_uid_per_vm}). */
  public boolean vmUidPerVm() {
    return get(ConfigKey.VM_UID_PER_VM).equals("true");
  }

  /** The first uid of {@code vm_uid_range}. */
  public long vmUidFirst() {
    return Long.parseLong(get(ConfigKey.VM_UID_RANGE).split("-")[0]);
  }

  /** The last uid of {@code vm_uid_range}. */
  public long vmUidLast() {
    return Long.parseLong(get(ConfigKey.VM_UID_RANGE).split("-")[1]);
  }

  /**
   * What bounds the VMM of a VM of {@code vcpus} and {@code memoryMib}: its guest memory plus
   * {@code vm_memory_overhead}, {@code vm_max_processes}, and {@code vm_cpu_ratio} CPUs per vCPU.
   */
  public CgroupLimits vmLimits(int vcpus, int memoryMib) {
    double ratio = Double.parseDouble(get(ConfigKey.VM_CPU_RATIO));
    return new CgroupLimits(
        OptionalLong.of(memoryMib * (1L << 20) + Long.parseLong(get(ConfigKey.VM_MEMORY_OVERHEAD))),
        OptionalLong.of(integer(ConfigKey.VM_MAX_PROCESSES)),
        ratio == 0 ? OptionalDouble.empty() : OptionalDouble.of(Math.min(4096, vcpus * ratio)));
  }

  /** Bytes per second one VM's disk may move ({@code vm_disk_bandwidth}); 0 for no limit. */
  public long vmDiskBandwidth() {
    return Long.parseLong(get(ConfigKey.VM_DISK_BANDWIDTH));
  }

  /** Disk operations per second one VM may issue ({@code vm_disk_iops}); 0 for no limit. */
  public long vmDiskIops() {
    return integer(ConfigKey.VM_DISK_IOPS);
  }

  /** Bytes per second each way on one VM's network ({@code vm_net_bandwidth}); 0 for no limit. */
  public long vmNetBandwidth() {
    return Long.parseLong(get(ConfigKey.VM_NET_BANDWIDTH));
  }

  public String bridgeName() {
    return get(ConfigKey.BRIDGE_NAME);
  }

  /** The bridge address with its prefix, e.g. {@code 10.77.0.1/24}. */
  public String bridgeCidr() {
    return get(ConfigKey.BRIDGE_CIDR);
  }

  /** The egress policy text of a VM created without one (checked in full by the daemon). */
  public String defaultEgress() {
    return get(ConfigKey.DEFAULT_EGRESS);
  }

  /** Whether VMs may reach each other over the bridge ({@code vm_to_vm = "allow"}). */
  public boolean vmToVm() {
    return get(ConfigKey.VM_TO_VM).equals("allow");
  }

  public int tapPoolSize() {
    return integer(ConfigKey.TAP_POOL_SIZE);
  }

  /** The start of this daemon's TAP names ({@code tap_prefix}), e.g. {@code htap}. */
  public String tapPrefix() {
    return get(ConfigKey.TAP_PREFIX);
  }

  /**
   * The name of this daemon's nftables tables and the comment on its iptables rules ({@code
   * network_tag}), e.g. {@code hearth}.
   */
  public String networkTag() {
    return get(ConfigKey.NETWORK_TAG);
  }

  public String dnsDomain() {
    return get(ConfigKey.DNS_DOMAIN);
  }

  public Optional<String> dnsHostListen() {
    return optional(ConfigKey.DNS_HOST_LISTEN);
  }

  /** {@code dns_upstream}'s resolvers in order; empty: the host's own (the VM DNS finds them). */
  public List<InetSocketAddress> dnsUpstream() {
    return ConfigKey.addresses(get(ConfigKey.DNS_UPSTREAM));
  }

  public Optional<String> webListenAddr() {
    return optional(ConfigKey.WEB_LISTEN_ADDR);
  }

  /** {@code auto}, {@code dm-snapshot} or {@code copy}. */
  public String diskProvisioner() {
    return get(ConfigKey.DISK_PROVISIONER);
  }

  public int defaultVcpus() {
    return integer(ConfigKey.DEFAULT_VCPUS);
  }

  public int defaultMemoryMib() {
    return integer(ConfigKey.DEFAULT_MEMORY_MIB);
  }

  public Duration sshWaitTimeout() {
    return duration(ConfigKey.SSH_WAIT_TIMEOUT);
  }

  public Duration vmmStartTimeout() {
    return duration(ConfigKey.VMM_START_TIMEOUT);
  }

  public Duration stopTimeout() {
    return duration(ConfigKey.STOP_TIMEOUT);
  }

  public Duration guestCallTimeout() {
    return duration(ConfigKey.GUEST_CALL_TIMEOUT);
  }

  /** How often SSH connections to guests send a keepalive ({@code guest_keepalive}); 0: never. */
  public Duration guestKeepalive() {
    return duration(ConfigKey.GUEST_KEEPALIVE);
  }

  public long consoleLogMaxSize() {
    return Long.parseLong(get(ConfigKey.CONSOLE_LOG_MAX_SIZE));
  }

  public long vmmLogMaxSize() {
    return Long.parseLong(get(ConfigKey.VMM_LOG_MAX_SIZE));
  }

  public long sessionLogMaxSize() {
    return Long.parseLong(get(ConfigKey.SESSION_LOG_MAX_SIZE));
  }

  public Duration operationRetention() {
    return duration(ConfigKey.OPERATION_RETENTION);
  }

  public Duration shutdownGrace() {
    return duration(ConfigKey.SHUTDOWN_GRACE);
  }

  public Duration clientIdleTimeout() {
    return duration(ConfigKey.CLIENT_IDLE_TIMEOUT);
  }

  public int maxConnections() {
    return integer(ConfigKey.MAX_CONNECTIONS);
  }

  public int maxConnectionsPerUid() {
    return integer(ConfigKey.MAX_CONNECTIONS_PER_UID);
  }

  public int rootReservedConnections() {
    return integer(ConfigKey.ROOT_RESERVED_CONNECTIONS);
  }

  public Duration clientWriteTimeout() {
    return duration(ConfigKey.CLIENT_WRITE_TIMEOUT);
  }

  private Optional<String> optional(ConfigKey key) {
    String v = get(key);
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  private int integer(ConfigKey key) {
    return Integer.parseInt(get(key));
  }

  private Duration duration(ConfigKey key) {
    return Durations.parse(get(key));
  }

  @Override
  public String toString() {
    return "Config" + values + source.map(p -> " from " + p).orElse(" (defaults)");
  }
}

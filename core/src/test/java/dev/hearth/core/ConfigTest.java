package dev.hearth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ConfigTest {
  @TempDir Path dir;

  private Path write(String toml) throws IOException {
    Path file = dir.resolve("config.toml");
    Files.writeString(file, toml);
    return file;
  }

  @Test
  void defaultsNeedNoFile() {
    Config c = Config.defaults();
    assertThat(c.source()).isEmpty();
    assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/hearth"));
    assertThat(c.runtimeDir()).isEqualTo(Path.of("/run/hearth"));
    assertThat(c.socketGroup()).contains("hearth");
    assertThat(c.logLevel()).isEqualTo("info");
    assertThat(c.firecrackerBin()).isEmpty();
    assertThat(c.jailerBin()).isEmpty();
    assertThat(c.defaultKernel()).isEmpty();
    assertThat(c.bridgeName()).isEqualTo("hearth0");
    assertThat(c.bridgeCidr()).isEqualTo("10.77.0.1/24");
    assertThat(c.tapPoolSize()).isEqualTo(4);
    assertThat(c.dnsDomain()).isEqualTo("hearth.internal");
    assertThat(c.dnsHostListen()).contains("127.0.0.1:10053");
    assertThat(c.dnsUpstream()).isEmpty();
    assertThat(c.webListenAddr()).contains("127.0.0.1:7777");
    assertThat(c.diskProvisioner()).isEqualTo("auto");
    assertThat(c.defaultVcpus()).isEqualTo(2);
    assertThat(c.defaultMemoryMib()).isEqualTo(1024);
    assertThat(c.sshWaitTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(c.stopTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.consoleLogMaxSize()).isEqualTo(16L << 20);
    assertThat(c.operationRetention()).isEqualTo(Duration.ofHours(24));
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.clientIdleTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.maxConnections()).isEqualTo(256);
  }

  @ParameterizedTest
  @EnumSource(ConfigKey.class)
  void everyKeyHasAValidDefaultAndADescription(ConfigKey key) {
    assertThat(key.validate(key.defaultValue())).isNotNull();
    assertThat(Config.defaults().get(key)).isEqualTo(key.validate(key.defaultValue()));
    assertThat(key.key()).matches("[a-z][a-z_]*");
    assertThat(ConfigKey.byKey(key.key())).contains(key);
    assertThat(key.description()).isNotBlank();
    assertThat(key.expected()).isNotBlank();
  }

  @Test
  void readsAFileSettingKeysOfEveryType() throws IOException {
    Path file =
        write(
            """
            # comments are fine
            state_dir = "/srv/hearth/"
            socket_group = ""
            log_level = "DEBUG"
            tap_pool_size = 8
            default_memory_mib = 2048
            stop_timeout = "90s"
            ssh_wait_timeout = "5m"
            console_log_max_size = "64M"
            bridge_cidr = "192.168.50.1/24"
            web_listen_addr = ""
            firecracker_bin = "/opt/fc/bin/../firecracker"
            """);
    Config c = Config.load(file);
    assertThat(c.source()).contains(file);
    assertThat(c.stateDir()).isEqualTo(Path.of("/srv/hearth"));
    assertThat(c.socketGroup()).isEmpty();
    assertThat(c.logLevel()).isEqualTo("debug");
    assertThat(c.tapPoolSize()).isEqualTo(8);
    assertThat(c.defaultMemoryMib()).isEqualTo(2048);
    assertThat(c.stopTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.sshWaitTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.get(ConfigKey.SSH_WAIT_TIMEOUT)).isEqualTo("5m");
    assertThat(c.consoleLogMaxSize()).isEqualTo(64L << 20);
    assertThat(c.bridgeCidr()).isEqualTo("192.168.50.1/24");
    assertThat(c.webListenAddr()).isEmpty();
    assertThat(c.firecrackerBin()).contains(Path.of("/opt/fc/firecracker"));
    // Keys the file does not set keep their defaults.
    assertThat(c.runtimeDir()).isEqualTo(Path.of("/run/hearth"));
    assertThat(c.defaultVcpus()).isEqualTo(2);
  }

  @Test
  void aSizeMayBeATomlIntegerOfBytes() throws IOException {
    assertThat(Config.load(write("console_log_max_size = 4096")).consoleLogMaxSize())
        .isEqualTo(4096);
  }

  @Test
  void anEmptyFileGivesTheDefaults() throws IOException {
    Config c = Config.load(write(""));
    assertThat(c.source()).isPresent();
    for (ConfigKey key : ConfigKey.ALL) {
      assertThat(c.get(key)).isEqualTo(Config.defaults().get(key));
    }
  }

  @Test
  void unknownKeyNamesTheKeyItsValueAndTheFile() throws IOException {
    Path file = write("tap_pool_size = 2\nbridge_nmae = \"br0\"\n");
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("unknown key 'bridge_nmae'")
        .hasMessageContaining("'br0'")
        .hasMessageContaining("bridge_name");
  }

  @Test
  void aNestedTableIsAnUnknownKey() throws IOException {
    Path file = write("[network]\nbridge_name = \"br0\"\n");
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("unknown key 'network'")
        .hasMessageContaining("br0");
  }

  @Test
  void aTableNamedLikeAKeyIsABadValue() throws IOException {
    Path file = write("[bridge_name]\nx = 1\n");
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("key 'bridge_name'")
        .hasMessageContaining("expected a network interface name");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        // wrong TOML type
        "tap_pool_size = \"x\" | tap_pool_size | 'x' | expected an integer from 0 to 64",
        "tap_pool_size = \"4\" | tap_pool_size | '4' | expected an integer from 0 to 64",
        "tap_pool_size = 4.5 | tap_pool_size | 4.5 | expected an integer",
        "bridge_name = 5 | bridge_name | 5 | expected a network interface name",
        "state_dir = true | state_dir | true | expected an absolute path",
        "stop_timeout = 30 | stop_timeout | 30 | expected a duration",
        "dns_domain = [\"a\", \"b\"] | dns_domain | [\"a\",\"b\"] | expected a DNS domain",
        // out of range
        "tap_pool_size = 65 | tap_pool_size | 65 | out of range 0..64",
        "default_vcpus = 0 | default_vcpus | 0 | out of range 1..32",
        "max_connections = 99999999999 | max_connections | 99999999999 | not an integer",
        // bad values of string types
        "stop_timeout = \"soon\" | stop_timeout | 'soon' | not a duration",
        "stop_timeout = \"30\" | stop_timeout | '30' | not a duration",
        "console_log_max_size = \"big\" | console_log_max_size | 'big' | not a size",
        "console_log_max_size = -1 | console_log_max_size | -1 | not a size",
        "bridge_cidr = \"10.77.0.1\" | bridge_cidr | '10.77.0.1' | missing /prefix",
        "bridge_cidr = \"10.77.0.300/24\" | bridge_cidr | '10.77.0.300/24' | not an IPv4 address",
        "bridge_cidr = \"fd00::1/64\" | bridge_cidr | 'fd00::1/64' | not an IPv4 address",
        "bridge_cidr = \"10.77.0.1/33\" | bridge_cidr | '10.77.0.1/33' | from 8 to 30",
        "bridge_cidr = \"10.77.0.1/x\" | bridge_cidr | '10.77.0.1/x' | not a number",
        "bridge_cidr = \"10.77.0.0/24\" | bridge_cidr | '10.77.0.0/24' | network or broadcast",
        "bridge_cidr = \"10.77.0.255/24\" | bridge_cidr | '10.77.0.255/24' | broadcast address",
        "state_dir = \"var/lib/hearth\" | state_dir | 'var/lib/hearth' | not an absolute path",
        "state_dir = \"\" | state_dir | '' | not an absolute path",
        "jailer_bin = \"jailer\" | jailer_bin | 'jailer' | not an absolute path",
        "bridge_name = \"much-too-long-name\" | bridge_name | 'much-too-long-name' | at most 15",
        "log_level = \"loud\" | log_level | 'loud' | not one of error, warn, info",
        "tap_prefix = \"tap1\" | tap_prefix | 'tap1' | not ending with a digit",
        "tap_prefix = \"Htap\" | tap_prefix | 'Htap' | 1 to 10 lowercase letters",
        "tap_prefix = \"hearth-taps\" | tap_prefix | 'hearth-taps' | 1 to 10 lowercase",
        "network_tag = \"hearth-e2e\" | network_tag | 'hearth-e2e' | letters, digits or '_'",
        "network_tag = \"_hearth\" | network_tag | '_hearth' | starting with a letter",
        "disk_provisioner = \"zfs\" | disk_provisioner | 'zfs' | not one of auto, dm-snapshot",
        "dns_domain = \"Hearth..x\" | dns_domain | 'Hearth..x' | not a valid DNS label",
        "web_listen_addr = \"7777\" | web_listen_addr | '7777' | missing :port",
        "web_listen_addr = \"example.com:80\" | web_listen_addr | 'example.com:80' | not an IP",
        "dns_host_listen = \"127.0.0.1:0\" | dns_host_listen | '127.0.0.1:0' | from 1 to 65535",
        "dns_upstream = \"1.1.1.1\" | dns_upstream | '1.1.1.1' | expected an array of",
        "dns_upstream = [5] | dns_upstream | [5] | entry 5 is not an \"ip[:port]\" string",
        "dns_upstream = [\"1.1.1.1\", \"nope\"] | dns_upstream | [\"1.1.1.1\",\"nope\"]"
            + " | entry 'nope': 'nope' is not an IP address",
        "dns_upstream = [\"10.0.0.1:0\"] | dns_upstream | [\"10.0.0.1:0\"]"
            + " | entry '10.0.0.1:0': the port must be from 1 to 65535",
        "dns_upstream = [\"[fd00::1\"] | dns_upstream | [\"[fd00::1\"] | missing ']'",
      })
  void badValueNamesTheFileTheKeyAndTheValue(String line, String key, String shown, String why)
      throws IOException {
    Path file = write(line + "\n");
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config file " + file)
        .hasMessageContaining("bad value " + shown + " for key '" + key + "'")
        .hasMessageContaining(why);
  }

  @Test
  void aSecondDaemonsHostNamesAreItsOwn() throws IOException {
    Config c =
        Config.load(
            write(
                "bridge_name = \"hearth1\"\ntap_prefix = \"h1tap\"\nnetwork_tag ="
                    + " \"hearth_1\"\n"));

    assertThat(c.tapPrefix()).isEqualTo("h1tap");
    assertThat(c.networkTag()).isEqualTo("hearth_1");
    assertThat(Config.defaults().tapPrefix()).isEqualTo("htap");
    assertThat(Config.defaults().networkTag()).isEqualTo("hearth");
  }

  @Test
  void aBridgeNamedAsOneOfTheTapsIsRefusedNamingBothKeys() throws IOException {
    Path file = write("bridge_name = \"htap0\"\n");
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config file " + file)
        .hasMessageContaining("bridge_name 'htap0' is a TAP name of tap_prefix 'htap'");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.TAP_PREFIX, "hearth"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bridge_name 'hearth0' is a TAP name of tap_prefix 'hearth'");
    assertThat(Config.defaults().with(ConfigKey.BRIDGE_NAME, "htap").bridgeName())
        .isEqualTo("htap");
  }

  @Test
  void dnsUpstreamIsAnArrayOfAddressesWithPort53ByDefault() throws IOException {
    Config c =
        Config.load(write("dns_upstream = [\"1.1.1.1\", \"10.0.0.2:5353\", \"[fd00::1]:54\"]\n"));

    assertThat(c.dnsUpstream())
        .containsExactly(
            new InetSocketAddress(InetAddresses.forString("1.1.1.1"), 53),
            new InetSocketAddress(InetAddresses.forString("10.0.0.2"), 5353),
            new InetSocketAddress(InetAddresses.forString("fd00::1"), 54));
    assertThat(Config.load(write("dns_upstream = []\n")).dnsUpstream()).isEmpty();
    assertThat(Config.defaults().with(ConfigKey.DNS_UPSTREAM, "9.9.9.9, 8.8.8.8:53").dnsUpstream())
        .extracting(InetSocketAddress::getPort)
        .containsExactly(53, 53);
  }

  @Test
  void controlCharactersInABadValueAreEscaped() throws IOException {
    Path file = write("log_level = \"a\\u001bb\"\n");
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'a\\x1bb'")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b"));
  }

  @Test
  void malformedTomlNamesTheFileAndTheLine() throws IOException {
    Path file = write("tap_pool_size = 2\nlog_level = \"info\"\nbridge_name = \"br0\n");
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config file " + file + " line 3")
        .hasMessageContaining("not valid TOML");
  }

  @Test
  void aDuplicateKeyIsMalformedToml() throws IOException {
    Path file = write("tap_pool_size = 2\ntap_pool_size = 3\n");
    // The parser notices at the end of the second line, so the line it names may be the next.
    assertThatThrownBy(() -> Config.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config file " + file + " line ")
        .hasMessageContaining("Duplicate key");
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nope.toml");
    assertThatThrownBy(() -> Config.load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file " + missing + " does not exist");
  }

  @Test
  void anUnreadableFileIsNamed() {
    assertThatThrownBy(() -> Config.load(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cannot read config file " + dir);
  }

  @Test
  void withOverridesOneKeyAndKeepsTheRest() throws IOException {
    Config fromFile = Config.load(write("tap_pool_size = 8\n"));
    Config c = fromFile.with(ConfigKey.STATE_DIR, "/tmp/h").with(ConfigKey.STOP_TIMEOUT, "120s");
    assertThat(c.stateDir()).isEqualTo(Path.of("/tmp/h"));
    assertThat(c.stopTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.get(ConfigKey.STOP_TIMEOUT)).isEqualTo("2m");
    assertThat(c.tapPoolSize()).isEqualTo(8);
    assertThat(c.source()).isEqualTo(fromFile.source());
    // Immutable: the original is unchanged.
    assertThat(fromFile.stateDir()).isEqualTo(Path.of("/var/lib/hearth"));
  }

  @Test
  void withTakesIntegersAsText() {
    assertThat(Config.defaults().with(ConfigKey.TAP_POOL_SIZE, "0").tapPoolSize()).isZero();
    assertThat(Config.defaults().with(ConfigKey.CONSOLE_LOG_MAX_SIZE, "1K").consoleLogMaxSize())
        .isEqualTo(1024);
  }

  @Test
  void withValidatesTheValue() {
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.TAP_POOL_SIZE, "100"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad value '100' for key 'tap_pool_size'")
        .hasMessageContaining("out of range 0..64");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.STATE_DIR, "relative"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad value 'relative' for key 'state_dir'");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.STATE_DIR, "/a\0b"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'/a\\x00b'");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.STATE_DIR, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void loadOrDefaultsReadsANamedFile() throws IOException {
    Path file = write("tap_pool_size = 9\n");
    assertThat(Config.loadOrDefaults(Optional.of(file)).tapPoolSize()).isEqualTo(9);
  }

  @Test
  void loadOrDefaultsRequiresANamedFileToExist() {
    Path missing = dir.resolve("missing.toml");
    assertThatThrownBy(() -> Config.loadOrDefaults(Optional.of(missing)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void loadOrDefaultsFallsBackToTheDefaultFileThenToDefaults() throws IOException {
    Path defaultFile = dir.resolve("etc-hearth.toml");
    Config none = Config.loadOrDefaults(Optional.empty(), defaultFile);
    assertThat(none.source()).isEmpty();
    assertThat(none.tapPoolSize()).isEqualTo(4);

    Files.writeString(defaultFile, "tap_pool_size = 11\n");
    Config fromDefault = Config.loadOrDefaults(Optional.empty(), defaultFile);
    assertThat(fromDefault.source()).contains(defaultFile);
    assertThat(fromDefault.tapPoolSize()).isEqualTo(11);
  }

  @Test
  void parseNamesTheGivenFileInMessages() {
    assertThatThrownBy(() -> Config.parse("nope = 1", Path.of("/etc/hearth/x.toml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("/etc/hearth/x.toml")
        .hasMessageContaining("'nope'");
  }

  @Test
  void vmmConfinementKeysTakeTomlBooleansARangeAndGiveLimitsFromTheVmSize() {
    Config defaults = Config.defaults();
    assertThat(defaults.vmUnprivileged()).isTrue();
    assertThat(defaults.vmUser()).isEqualTo("hearth-vm");
    assertThat(defaults.vmUidPerVm()).isFalse();
    assertThat(defaults.vmLimits(2, 512))
        .isEqualTo(
            new CgroupLimits(
                OptionalLong.of((512L + 1536) << 20), OptionalLong.of(512), OptionalDouble.of(2)));

    Config config =
        Config.parse(
            "vm_unprivileged = false\nvm_uid_per_vm = true\nvm_uid_range = \"5000-5009\"\n"
                + "vm_cpu_ratio = \"0.5\"\nvm_memory_overhead = \"64MiB\"\n"
                + "vm_max_processes = 100\n",
            Path.of("/etc/hearth/config.toml"));
    assertThat(config.vmUnprivileged()).isFalse();
    assertThat(config.vmUidPerVm()).isTrue();
    assertThat(config.vmUidFirst()).isEqualTo(5000);
    assertThat(config.vmUidLast()).isEqualTo(5009);
    assertThat(config.vmLimits(3, 1024))
        .isEqualTo(
            new CgroupLimits(
                OptionalLong.of((1024L + 64) << 20), OptionalLong.of(100), OptionalDouble.of(1.5)));
    assertThat(Config.defaults().with(ConfigKey.VM_CPU_RATIO, "0").vmLimits(2, 512).cpus())
        .isEmpty();

    assertThatThrownBy(() -> Config.parse("vm_uid_per_vm = 1", Path.of("/c.toml")))
        .hasMessageContaining("vm_uid_per_vm")
        .hasMessageContaining("true or false");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.VM_UID_RANGE, "10-5"))
        .hasMessageContaining("vm_uid_range")
        .hasMessageContaining("'10-5'");
    assertThatThrownBy(() -> Config.defaults().with(ConfigKey.VM_UID_RANGE, "0-5"))
        .hasMessageContaining("vm_uid_range");
  }
}

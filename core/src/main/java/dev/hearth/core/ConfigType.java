package dev.hearth.core;

import com.google.common.net.InetAddresses;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The kinds of value a {@link ConfigKey} takes: what each accepts, its canonical form and the
 * reason a value is refused. Kept apart from {@link ConfigKey} so that the key table stays a table.
 */
final class ConfigType {
  /** Checks a value and returns its canonical form; throws IllegalArgumentException with why. */
  interface Validator {
    String validate(String value);
  }

  static final Pattern IFNAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}");
  // As fcproc's TapDevices: a TAP is the prefix and a number, at most 15 characters in all, and the
  // prefix does not end in a digit, so that htap1 and htap12 cannot both be read from one name.
  static final Pattern TAP_PREFIX_NAME = Pattern.compile("[a-z]([a-z0-9_-]{0,8}[a-z_-])?");
  // As fcproc's NatRules: an nft table name and an iptables comment that need no quoting.
  static final Pattern NETWORK_TAG_NAME = Pattern.compile("[a-z][a-z0-9_]{0,30}");
  static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  static final ConfigType STRING = new ConfigType("a string", false, v -> v);
  static final ConfigType PATH =
      new ConfigType("an absolute path", false, ConfigType::absolutePath);
  static final ConfigType OPTIONAL_PATH =
      new ConfigType("an absolute path or \"\"", false, v -> v.isEmpty() ? v : absolutePath(v));
  static final ConfigType DURATION =
      new ConfigType(
          "a duration such as 30s, 5m or 2h", false, v -> Durations.format(Durations.parse(v)));
  static final ConfigType SIZE =
      new ConfigType("a size such as 512M or 16MiB", false, v -> Long.toString(Sizes.parse(v)))
          .withIntegers();
  static final ConfigType AUTO_OR_SIZE =
      new ConfigType(
              "auto, or a size such as 512GiB",
              false,
              v ->
                  v.equalsIgnoreCase(ConfigKey.AUTO)
                      ? ConfigKey.AUTO
                      : Long.toString(Sizes.parse(v)))
          .withIntegers();
  static final ConfigType AUTO_OR_POSITIVE_INT =
      new ConfigType("auto, or a positive integer", false, ConfigType::autoOrPositiveInt)
          .withIntegers();
  static final ConfigType INTERFACE_NAME =
      new ConfigType(
          "a network interface name of at most 15 characters", false, ConfigType::interfaceName);
  static final ConfigType TAP_PREFIX =
      new ConfigType(
          "a TAP name prefix of 1 to 10 characters such as htap", false, ConfigType::tapPrefix);
  static final ConfigType NETWORK_TAG =
      new ConfigType("an nft table name such as hearth", false, ConfigType::networkTag);
  static final ConfigType CIDR =
      new ConfigType("an IPv4 address and prefix such as 10.77.0.1/24", false, ConfigType::cidr);
  static final ConfigType DOMAIN =
      new ConfigType("a DNS domain such as hearth.internal", false, ConfigType::domain);
  static final ConfigType EGRESS =
      new ConfigType("open, none or allow:NAME[,NAME...]", false, ConfigType::egress);
  static final ConfigType OPTIONAL_ADDRESS =
      new ConfigType(
          "host:port such as 127.0.0.1:7777, or \"\"", false, ConfigType::optionalAddress);
  static final ConfigType BOOLEAN =
      new ConfigType("true or false", false, ConfigType::bool).asBoolean();
  static final ConfigType UID_RANGE =
      new ConfigType(
          "a range of uids FIRST-LAST such as 1000000000-1000065535", false, ConfigType::uidRange);
  static final ConfigType OPTIONAL_LISTEN_ADDRESS =
      new ConfigType(
          "host:port such as 127.0.0.1:7777 (port 0: any free port), or \"\"",
          false,
          v -> optionalAddress(v, 0));
  static final ConfigType ADDRESS_LIST =
      new ConfigType(
              "an array of \"ip\" or \"ip:port\" strings such as [\"1.1.1.1\", \"10.0.0.2:5353\"]",
              false,
              ConfigType::addressList)
          .asList();

  final String expected;
  final boolean integer;
  final Validator validator;
  boolean acceptsInteger;
  boolean list;
  boolean bool;

  ConfigType(String expected, boolean integer, Validator validator) {
    this.expected = expected;
    this.integer = integer;
    this.validator = validator;
  }

  /** Also takes a TOML integer (written without quotes) for this string-valued type. */
  ConfigType withIntegers() {
    acceptsInteger = true;
    return this;
  }

  /** A TOML boolean (written without quotes), held as true or false. */
  ConfigType asBoolean() {
    bool = true;
    return this;
  }

  static String bool(String v) {
    String lower = v.strip().toLowerCase(Locale.ROOT);
    if (!lower.equals("true") && !lower.equals("false")) {
      throw new IllegalArgumentException("neither true nor false");
    }
    return lower;
  }

  static String uidRange(String v) {
    String[] ends = v.strip().split("-", -1);
    long first;
    long last;
    try {
      if (ends.length != 2) {
        throw new NumberFormatException();
      }
      first = Long.parseLong(ends[0].strip());
      last = Long.parseLong(ends[1].strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not two numbers FIRST-LAST");
    }
    if (first < 1 || last > 4294967294L || first > last) {
      throw new IllegalArgumentException("not 1 <= FIRST <= LAST <= 4294967294");
    }
    return first + "-" + last;
  }

  static ConfigType decimalRange(double min, double max) {
    return new ConfigType(
            "a number from " + min + " to " + max,
            false,
            v -> {
              double d;
              try {
                d = Double.parseDouble(v.strip());
              } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number");
              }
              if (!(d >= min && d <= max)) {
                throw new IllegalArgumentException("out of range " + min + ".." + max);
              }
              return v.strip();
            })
        .withIntegers();
  }

  /** A TOML array of strings, held as the entries joined with commas. */
  ConfigType asList() {
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
    if (v.equalsIgnoreCase(ConfigKey.AUTO)) {
      return ConfigKey.AUTO;
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

  static ConfigType intRange(int min, int max) {
    return new ConfigType(
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

  static ConfigType enumOf(String... choices) {
    List<String> list = List.of(choices);
    return new ConfigType(
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

  static String tapPrefix(String v) {
    if (!TAP_PREFIX_NAME.matcher(v).matches()) {
      throw new IllegalArgumentException(
          "not a TAP prefix: 1 to 10 lowercase letters, digits, '-' or '_', starting with a letter"
              + " and not ending with a digit");
    }
    return v;
  }

  static String networkTag(String v) {
    if (!NETWORK_TAG_NAME.matcher(v).matches()) {
      throw new IllegalArgumentException(
          "not a network tag: 1 to 31 lowercase letters, digits or '_', starting with a letter");
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
    return optionalAddress(v, 1);
  }

  static String optionalAddress(String v, int lowestPort) {
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
      if (port < lowestPort || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the port must be from " + lowestPort + " to 65535");
    }
    return v;
  }
}

package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.core.CommandResult;
import dev.hearth.core.Runner;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hearth's TAP devices, one per guest, attached to the bridge.
 *
 * <p>Names are a prefix followed by a decimal number: {@code htap0}, {@code htap1}, ... (the number
 * is the daemon's TAP pool slot). A name is hearth's exactly when it is the prefix followed by
 * digits only, so {@link #list()} finds leaked TAPs without ever matching a device hearth did not
 * name. Names stay within the kernel's 15 characters.
 */
public final class TapDevices {
  private static final Logger log = LoggerFactory.getLogger(TapDevices.class);

  /** The default of the daemon's TAP names' prefix ({@code tap_prefix}). */
  public static final String DEFAULT_PREFIX = "htap";

  // Lowercase, not ending in a digit (so "ab1" + "2" and "ab" + "12" cannot both be ours), and
  // short enough to leave five digits within 15 characters.
  private static final Pattern PREFIX = Pattern.compile("[a-z]([a-z0-9_-]{0,8}[a-z_-])?");

  private final HostNetworkCommands commands;
  private final String prefix;
  private final Pattern ours;

  /** TAP devices named {@link #DEFAULT_PREFIX} + number. */
  public TapDevices(Runner runner) {
    this(runner, DEFAULT_PREFIX);
  }

  /**
   * @param prefix 1 to 10 lowercase letters, digits, '_' or '-', starting with a letter and not
   *     ending in a digit; tests use their own so they never touch the daemon's TAPs
   */
  public TapDevices(Runner runner, String prefix) {
    this.commands = new HostNetworkCommands(requireNonNull(runner, "runner"));
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "TAP name prefix must be 1 to 10 lowercase letters, digits, '_' or '-', starting with a"
              + " letter and not ending in a digit: '"
              + prefix
              + "'");
    }
    this.prefix = prefix;
    this.ours = Pattern.compile(Pattern.quote(prefix) + "(0|[1-9][0-9]*)");
  }

  public String prefix() {
    return prefix;
  }

  /** The name of TAP number {@code index}, e.g. {@code htap3}. */
  public String name(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("TAP index must not be negative: " + index);
    }
    String name = prefix + index;
    if (name.length() > HostNetworkCommands.MAX_INTERFACE_NAME) {
      throw new IllegalArgumentException(
          "TAP index " + index + " makes the name " + name + " longer than 15 characters");
    }
    return name;
  }

  /** Whether the device name is one this instance's names take (prefix and a number). */
  public boolean isOurs(String device) {
    return ours.matcher(device).matches();
  }

  /**
   * Creates the TAP, attaches it to the bridge and brings it up. When a step after creating the
   * device fails, the half-made TAP is deleted before the failure is thrown.
   *
   * @throws HostNetworkException naming the step and the failed command
   */
  public void create(String tap, String bridge) throws InterruptedException {
    checkOurs(tap);
    HostNetworkCommands.checkInterfaceName(bridge, "bridge");
    commands.check("could not create TAP " + tap, "ip", "tuntap", "add", "dev", tap, "mode", "tap");
    try {
      enslave(tap, bridge);
    } catch (RuntimeException | InterruptedException e) {
      commands.deleteAfterFailure(tap, e);
      throw e;
    }
    log.debug("TAP {} created on bridge {}", tap, bridge);
  }

  /**
   * Makes the TAP anew (an existing one is deleted first) owned by {@code uid}, attached to the
   * bridge and up: a process of that uid may then attach to it ({@code TUNSETIFF}) without
   * CAP_NET_ADMIN.
   *
   * @throws HostNetworkException naming the step and the failed command
   */
  public void createOwned(String tap, String bridge, int uid) throws InterruptedException {
    checkOurs(tap);
    HostNetworkCommands.checkInterfaceName(bridge, "bridge");
    if (uid < 0) {
      throw new IllegalArgumentException("a TAP's owner is a uid, got " + uid);
    }
    delete(tap);
    commands.check(
        "could not create TAP " + tap + " owned by uid " + uid,
        "ip",
        "tuntap",
        "add",
        "dev",
        tap,
        "mode",
        "tap",
        "user",
        Integer.toString(uid));
    try {
      enslave(tap, bridge);
    } catch (RuntimeException | InterruptedException e) {
      commands.deleteAfterFailure(tap, e);
      throw e;
    }
    log.debug("TAP {} made anew for uid {} on bridge {}", tap, uid, bridge);
  }

  /**
   * Puts an existing TAP on the bridge and brings it up; idempotent. A TAP that an earlier daemon
   * left may still be on another bridge (a different {@code bridge_name}), where its guest would be
   * unreachable: setting the master moves it.
   *
   * @throws HostNetworkException naming the step and the failed command
   */
  public void attach(String tap, String bridge) throws InterruptedException {
    checkOurs(tap);
    HostNetworkCommands.checkInterfaceName(bridge, "bridge");
    enslave(tap, bridge);
    log.debug("TAP {} attached to bridge {}", tap, bridge);
  }

  private void enslave(String tap, String bridge) throws InterruptedException {
    commands.check(
        "could not attach TAP " + tap + " to bridge " + bridge,
        "ip",
        "link",
        "set",
        tap,
        "master",
        bridge);
    commands.check("could not bring TAP " + tap + " up", "ip", "link", "set", tap, "up");
  }

  /** Deletes the TAP; one that does not exist is not an error. */
  public void delete(String tap) throws InterruptedException {
    checkOurs(tap);
    String doing = "could not delete TAP " + tap;
    CommandResult result = commands.run(doing, "ip", "link", "del", tap);
    if (!HostNetworkCommands.missingDevice(result)) {
      HostNetworkCommands.orThrow(doing, result);
    }
  }

  /** The names of every device on the host that is one of ours, in the host's order. */
  public List<String> list() throws InterruptedException {
    String doing = "could not list network devices";
    CommandResult result = commands.check(doing, "ip", "-j", "link", "show");
    List<String> names = new ArrayList<>();
    for (JsonNode dev : HostNetworkCommands.json(result)) {
      String name = dev.path("ifname").asText();
      if (isOurs(name)) {
        names.add(name);
      }
    }
    return names;
  }

  private void checkOurs(String tap) {
    if (!isOurs(tap)) {
      throw new IllegalArgumentException(
          "not a TAP name of this pool (" + prefix + " followed by a number): '" + tap + "'");
    }
  }
}

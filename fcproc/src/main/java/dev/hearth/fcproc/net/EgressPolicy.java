package dev.hearth.fcproc.net;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a VM's guest may reach beyond the bridge: {@code open} (anything), {@code none} (nothing) or
 * {@code allow:ENTRY[,ENTRY...]}, where an entry is a domain ({@code github.com} is that name only,
 * {@code *.github.com} any name under it but not the apex) or an IPv4 address or CIDR ({@code
 * 10.0.0.0/8}; a bare address is a /32). Parsed once, into lower-case names without a trailing dot
 * and CIDRs on their network address, so {@link #toString()} is the canonical text.
 *
 * @param names the allowed domains and {@code *.} wildcards, in the order given, without repeats
 * @param cidrs the allowed networks, in the order given, without repeats
 */
public record EgressPolicy(Mode mode, List<String> names, List<Ipv4Cidr> cidrs) {

  /** The three kinds of policy. */
  public enum Mode {
    OPEN,
    NONE,
    ALLOW
  }

  /** Most entries of one allow list. */
  public static final int MAX_ENTRIES = 64;

  /** Longest policy text accepted. */
  public static final int MAX_TEXT = 4096;

  public static final EgressPolicy OPEN = new EgressPolicy(Mode.OPEN, List.of(), List.of());
  public static final EgressPolicy NONE = new EgressPolicy(Mode.NONE, List.of(), List.of());

  private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
  private static final Pattern ADDRESSY = Pattern.compile("[0-9./]+");

  public EgressPolicy {
    requireNonNull(mode, "mode");
    names = List.copyOf(names);
    cidrs = List.copyOf(cidrs);
    if (mode != Mode.ALLOW && !(names.isEmpty() && cidrs.isEmpty())) {
      throw new IllegalArgumentException("only an allow policy has entries");
    }
    if (mode == Mode.ALLOW && names.isEmpty() && cidrs.isEmpty()) {
      throw new IllegalArgumentException("an allow policy needs at least one entry");
    }
  }

  /**
   * Parses {@code open}, {@code none} or {@code allow:ENTRY[,ENTRY...]} (case-insensitive, spaces
   * around entries ignored).
   *
   * @throws IllegalArgumentException naming the text or the bad entry
   */
  public static EgressPolicy parse(String text) {
    requireNonNull(text, "text");
    if (text.length() > MAX_TEXT) {
      throw new IllegalArgumentException(
          "egress policy is longer than " + MAX_TEXT + " characters (" + text.length() + ")");
    }
    String trimmed = text.strip();
    String lower = trimmed.toLowerCase(Locale.ROOT);
    if (lower.equals("open")) {
      return OPEN;
    }
    if (lower.equals("none")) {
      return NONE;
    }
    if (!lower.startsWith("allow:")) {
      throw new IllegalArgumentException(
          "not an egress policy (expected open, none or allow:NAME[,NAME...]): '" + text + "'");
    }
    return allow(List.of(lower.substring("allow:".length()).split(",", -1)));
  }

  /**
   * An allow list of domains, {@code *.} wildcards, addresses and CIDRs.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static EgressPolicy allow(List<String> entries) {
    Set<String> names = new LinkedHashSet<>();
    Set<Ipv4Cidr> cidrs = new LinkedHashSet<>();
    for (String raw : entries) {
      String entry = raw.strip().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        throw new IllegalArgumentException(
            "empty entry in an egress allow list (entries are separated by single commas)");
      }
      if (ADDRESSY.matcher(entry).matches()) {
        cidrs.add(cidr(entry));
      } else {
        names.add(name(entry));
      }
      if (names.size() + cidrs.size() > MAX_ENTRIES) {
        throw new IllegalArgumentException(
            "an egress allow list has at most " + MAX_ENTRIES + " entries");
      }
    }
    if (names.isEmpty() && cidrs.isEmpty()) {
      throw new IllegalArgumentException(
          "an egress allow list needs at least one entry (use none to allow nothing)");
    }
    return new EgressPolicy(Mode.ALLOW, new ArrayList<>(names), new ArrayList<>(cidrs));
  }

  private static Ipv4Cidr cidr(String entry) {
    try {
      Ipv4Cidr cidr =
          entry.contains("/") ? Ipv4Cidr.parse(entry) : new Ipv4Cidr(Ipv4.parse(entry), 32);
      return new Ipv4Cidr(cidr.network(), cidr.prefix());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "bad entry '" + entry + "' in an egress allow list: " + e.getMessage(), e);
    }
  }

  private static String name(String entry) {
    String name = entry.endsWith(".") ? entry.substring(0, entry.length() - 1) : entry;
    String domain = name.startsWith("*.") ? name.substring(2) : name;
    String why = null;
    if (domain.isEmpty() || name.length() > 253) {
      why = "a domain has 1 to 253 characters";
    } else if (domain.contains("*")) {
      why = "'*' is allowed only as the whole first label (*.example.com)";
    } else if (!domain.contains(".") && !name.startsWith("*.")) {
      why = "a bare label is no domain (write example.com or *.example.com)";
    } else {
      for (String label : domain.split("\\.", -1)) {
        if (!LABEL.matcher(label).matches()) {
          why =
              "label '"
                  + label
                  + "' is not 1 to 63 letters, digits, '-' or '_' (not starting or ending with"
                  + " '-')";
          break;
        }
      }
    }
    if (why != null) {
      throw new IllegalArgumentException(
          "bad entry '" + entry + "' in an egress allow list: " + why);
    }
    return name;
  }

  /**
   * Whether a guest may have {@code name} resolved: every name under {@code open}, none under
   * {@code none}, and under an allow list a name listed exactly or under a listed wildcard.
   *
   * @param name lower case, a trailing dot ignored
   */
  public boolean allowsName(String name) {
    switch (mode) {
      case OPEN:
        return true;
      case NONE:
        return false;
      default:
        break;
    }
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    for (String allowed : names) {
      if (allowed.startsWith("*.")
          ? n.endsWith(allowed.substring(1)) && n.length() > allowed.length() - 1
          : n.equals(allowed)) {
        return true;
      }
    }
    return false;
  }

  /** Whether an address is in one of the listed networks (all under open, none under none). */
  public boolean allowsAddress(Ipv4 address) {
    return mode == Mode.OPEN || cidrs.stream().anyMatch(c -> c.contains(address));
  }

  @Override
  public String toString() {
    return switch (mode) {
      case OPEN -> "open";
      case NONE -> "none";
      case ALLOW -> {
        List<String> entries = new ArrayList<>(names);
        for (Ipv4Cidr cidr : cidrs) {
          entries.add(cidr.prefix() == 32 ? cidr.address().toString() : cidr.toString());
        }
        yield "allow:" + String.join(",", entries);
      }
    };
  }
}

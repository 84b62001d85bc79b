package dev.hearth.imagemgr;

import dev.hearth.core.Names;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest's static network configuration as hearth writes it to {@value #PATH} in the root disk,
 * for images whose kernel lacks {@code CONFIG_IP_PNP} (no {@code ip=} boot parameter): the guest's
 * boot script reads it and configures {@code eth0} itself.
 *
 * <p>File format: UTF-8 text, one {@code KEY=VALUE} per line, {@code #} comment lines, no quoting
 * (every value is digits, dots, {@code /} or a hostname of {@code [a-z0-9-]}), so that a POSIX
 * shell may read it with {@code . /etc/hearth/network.env}. Keys:
 *
 * <pre>
 * HEARTH_HOSTNAME=demo            the VM's name, also in /etc/hostname
 * HEARTH_IP=10.77.0.2             the guest address
 * HEARTH_PREFIX=24                its prefix length
 * HEARTH_CIDR=10.77.0.2/24        both, for `ip addr add`
 * HEARTH_NETMASK=255.255.255.0    the prefix as a mask, for busybox `ifconfig`
 * HEARTH_GATEWAY=10.77.0.1        the default route (the host bridge)
 * HEARTH_DNS=10.77.0.1            the name server, also in /etc/resolv.conf
 * </pre>
 *
 * <p>Later versions may add keys; readers ignore keys they do not know.
 */
public record GuestNetworkEnv(
    String hostname, int address, int prefix, int gateway, int dnsServer) {

  /** Where the file lives in the guest. */
  public static final String PATH = "/etc/hearth/network.env";

  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  public GuestNetworkEnv {
    Names.requireValid("VM", hostname);
    if (prefix < 1 || prefix > 30) {
      throw new IllegalArgumentException("prefix /" + prefix + " leaves no room for a gateway");
    }
  }

  /**
   * Parses the values the VM lifecycle passes in.
   *
   * @param ipCidr the guest address with its prefix, {@code 10.77.0.2/24}
   * @throws IllegalArgumentException naming the value that is not an IPv4 address or CIDR
   * @throws dev.hearth.core.InvalidNameException when the hostname is not a valid VM name
   */
  public static GuestNetworkEnv parse(
      String hostname, String ipCidr, String gateway, String dnsServer) {
    int slash = ipCidr.indexOf('/');
    if (slash < 0 || !ipCidr.substring(slash + 1).matches("\\d{1,2}")) {
      throw new IllegalArgumentException(
          "guest address '" + ipCidr + "' is not an IPv4 CIDR such as 10.77.0.2/24");
    }
    return new GuestNetworkEnv(
        hostname,
        parseAddress("guest address", ipCidr.substring(0, slash)),
        Integer.parseInt(ipCidr.substring(slash + 1)),
        parseAddress("gateway", gateway),
        parseAddress("DNS server", dnsServer));
  }

  /** The file's content. */
  public String render() {
    return "# written by hearth when the VM was created; read by the guest's boot script\n"
        + "HEARTH_HOSTNAME="
        + hostname
        + "\nHEARTH_IP="
        + format(address)
        + "\nHEARTH_PREFIX="
        + prefix
        + "\nHEARTH_CIDR="
        + format(address)
        + "/"
        + prefix
        + "\nHEARTH_NETMASK="
        + format(-1 << (32 - prefix))
        + "\nHEARTH_GATEWAY="
        + format(gateway)
        + "\nHEARTH_DNS="
        + format(dnsServer)
        + "\n";
  }

  /**
   * {@code /etc/resolv.conf} pointing at the DNS server, with {@code searchDomain} (the VMs'
   * domain) as the search list so that a bare VM name resolves.
   */
  public String resolvConf(Optional<String> searchDomain) {
    return "# written by hearth\nnameserver "
        + format(dnsServer)
        + "\n"
        + searchDomain.map(d -> "search " + d + "\n").orElse("");
  }

  /** The guest's own address, dotted. */
  public String ip() {
    return format(address);
  }

  static String format(int address) {
    return (address >>> 24)
        + "."
        + ((address >>> 16) & 0xff)
        + "."
        + ((address >>> 8) & 0xff)
        + "."
        + (address & 0xff);
  }

  private static int parseAddress(String what, String text) {
    Matcher m = IPV4.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(what + " '" + text + "' is not an IPv4 address");
    }
    int address = 0;
    for (int i = 1; i <= 4; i++) {
      int octet = Integer.parseInt(m.group(i));
      if (octet > 255) {
        throw new IllegalArgumentException(what + " '" + text + "' is not an IPv4 address");
      }
      address = (address << 8) | octet;
    }
    return address;
  }
}

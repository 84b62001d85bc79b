/**
 * Host networking for guests: IPv4 addresses and prefixes, the guest address plan ({@link
 * dev.hearth.fcproc.net.GuestNetwork}), the bridge, TAP devices and NAT (nftables or iptables),
 * each run through core's {@code Runner}; the doctor's network checks ({@link
 * dev.hearth.fcproc.net.NetworkChecks}, with {@link dev.hearth.fcproc.net.HostSockets} reading
 * {@code /proc/net}).
 */
package dev.hearth.fcproc.net;

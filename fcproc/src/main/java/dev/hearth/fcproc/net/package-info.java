/**
 * Host networking for guests: IPv4 addresses and prefixes, the guest address plan ({@link
 * dev.hearth.fcproc.net.GuestNetwork}), the bridge, TAP devices and NAT (nftables or iptables),
 * each run through core's {@code Runner}.
 */
package dev.hearth.fcproc.net;

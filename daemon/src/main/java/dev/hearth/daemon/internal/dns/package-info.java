/**
 * The daemon's side of the VM DNS (ARCHITECTURE.md, "VM DNS"): {@link
 * dev.hearth.daemon.internal.dns.VmDns} keeps fcproc's DNS records in step with the VMs through a
 * VM hook, and starts and stops fcproc's DNS server and the systemd-resolved link with the daemon
 * and the bridge.
 */
package dev.hearth.daemon.internal.dns;

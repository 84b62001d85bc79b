/**
 * The daemon's side of the VM DNS (ARCHITECTURE.md, "VM DNS"): {@link
 * dev.hearth.daemon.internal.dns.VmDnsHook} keeps fcproc's {@link dev.hearth.fcproc.dns.VmDns}
 * records in step with the VMs through a VM hook; the daemon's assembly starts and stops the server
 * and the systemd-resolved link with the daemon and the bridge.
 */
package dev.hearth.daemon.internal.dns;

/**
 * fcproc: Firecracker as the daemon uses it. This package holds the choice of VMM ({@link
 * dev.hearth.fcproc.VmmSelector}: Firecracker or the bundled QEMU launcher, over the one KVM probe
 * and the Firecracker binary discovery and version parsing), the doctor's VMM checks ({@link
 * dev.hearth.fcproc.VmmChecks}) and the module's exception root. The subpackages: {@code client}
 * (the Firecracker API client and its request records), {@code server} (the same API served on a
 * backend, with the bundled spec's request validator: the fake firecracker's and the QEMU
 * launcher's), {@code net} (host networking: addresses, the bridge, TAP devices, NAT) and {@code
 * process} (spawning, adopting and stopping Firecracker processes, the console log).
 */
package dev.hearth.fcproc;

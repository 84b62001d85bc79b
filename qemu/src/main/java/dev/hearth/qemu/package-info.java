/**
 * hearth-qemu-firecracker: a Firecracker-compatible launcher that boots the VM under QEMU. The
 * executable ({@link dev.hearth.qemu.QemuFirecracker}) serves fcproc's Firecracker API server on
 * the QEMU backend ({@link dev.hearth.qemu.QemuBackend}: QEMU's command line, QMP, the host seam).
 */
package dev.hearth.qemu;

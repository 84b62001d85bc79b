/**
 * hearth-qemu-firecracker: a Firecracker-compatible launcher that boots the VM under QEMU (the
 * executable; the API server and the QEMU backend are fcproc's).
 */
package dev.hearth.qemu;

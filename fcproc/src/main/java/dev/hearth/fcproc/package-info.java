/** Firecracker process primitives, host networking and the Firecracker API client. */
package dev.hearth.fcproc;

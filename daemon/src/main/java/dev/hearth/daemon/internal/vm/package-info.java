/**
 * The VM lifecycle (ARCHITECTURE.md, "VMs"): {@link dev.hearth.daemon.internal.vm.VmService}, its
 * one entry point, composes package-private parts, one per seam (lookup, create stages, start,
 * stop, kill and delete, boot, reconcile, teardown, error mapping); the VM store and locks; the
 * in-process API ({@code LocalVms}, {@code LocalOps}, {@code LocalImages}) and the RPC adapters.
 */
package dev.hearth.daemon.internal.vm;

/**
 * Image validators, staging with atomic publish, build-script generation, and the guest identity
 * that {@link dev.hearth.imagemgr.DebugfsGuestIdentity} writes into a VM's unmounted root disk.
 */
package dev.hearth.imagemgr;

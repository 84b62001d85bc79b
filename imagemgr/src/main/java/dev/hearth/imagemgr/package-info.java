/**
 * Images: validators, staging with atomic publish, build-script generation and the build run on the
 * host ({@link dev.hearth.imagemgr.ImageBuilder}, with {@link dev.hearth.imagemgr.BuildLeftovers}
 * cleaning up after a cut-short build), the catalog of published images ({@link
 * dev.hearth.imagemgr.ImageCatalog}), and the guest identity that {@link
 * dev.hearth.imagemgr.DebugfsGuestIdentity} writes into a VM's unmounted root disk. {@link
 * dev.hearth.imagemgr.ImageToolChecks} are the doctor's checks of the tools images are made with.
 */
package dev.hearth.imagemgr;

/**
 * The server side of Firecracker's API: {@link dev.hearth.fcproc.server.FirecrackerApiServer}
 * validates every request against the bundled spec ({@link
 * dev.hearth.fcproc.server.FirecrackerSpec}), keeps the pre-boot configuration and hands the
 * actions to a {@link dev.hearth.fcproc.server.FirecrackerBackend} (the fake firecracker's in the
 * test-jar, the QEMU launcher's in module qemu).
 */
package dev.hearth.fcproc.server;

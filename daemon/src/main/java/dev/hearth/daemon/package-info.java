/**
 * hearth as a Java library: {@link dev.hearth.daemon.Hearth} (in-process through {@code
 * Hearth.open}, over a daemon's socket through {@code Hearth.connect}) with its request and result
 * records and its handles, and {@link dev.hearth.daemon.Daemon}, the composition root that {@code
 * hearth daemon} runs.
 *
 * <p>Errors: one root, {@link dev.hearth.daemon.HearthException}, with a {@code Kind} to branch on;
 * its subtypes by meaning are {@code DaemonException} (host_error: the daemon's own work on the
 * host), {@code DaemonAlreadyRunningException} (conflict) and {@code DaemonUnavailableException}
 * (unavailable). Over the socket, a failure the daemon answered with also carries its JSON-RPC code
 * ({@code HearthException.wireCode()}); there is no separate wire exception.
 */
package dev.hearth.daemon;

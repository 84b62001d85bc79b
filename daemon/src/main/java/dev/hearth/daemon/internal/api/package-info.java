/**
 * The two sides of the typed API behind {@link dev.hearth.daemon.Hearth}: the remote one ({@code
 * RemoteHearth}, {@code RemoteGuest}, {@code RemoteSessions} on {@code HearthClient}: core's
 * JSON-RPC client on the daemon's socket, its protocol version checked and its failures this
 * module's exceptions) and the parts the in-process one shares ({@code OpHandle}, {@code
 * GuestAccess}, {@code InputPipe}, {@code LocalGuestProcess}). Internal: callers outside the daemon
 * module use {@code Hearth.connect} and {@code Hearth.open}.
 */
package dev.hearth.daemon.internal.api;
